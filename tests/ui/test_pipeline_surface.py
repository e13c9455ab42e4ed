"""The UI sees only the pipeline's public surface, never its stages (docs/adr/0090)."""

from __future__ import annotations

import re
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "dis_annotator" / "ui"
STAGE_ATTRIBUTES = re.compile(r"pipeline\)?\s*\.\s*(coarse|refiner|corrector|backbone)\b")


def test_ui_never_reaches_into_pipeline_stages():
    offenders = []
    for path in sorted(UI.rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if STAGE_ATTRIBUTES.search(line):
                offenders.append(f"{path.relative_to(UI)}:{n}: {line.strip()}")
    assert offenders == []
    assert STAGE_ATTRIBUTES.search("self.pipeline.coarse.device")  # the check can fail
