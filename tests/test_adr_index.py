"""Every ADR has a status line and a row in docs/adr/README.md (and every row a file)."""

from __future__ import annotations

import re
from pathlib import Path

ADR = Path(__file__).resolve().parents[1] / "docs" / "adr"


def test_every_adr_has_a_status_and_is_listed():
    pages = sorted(ADR.glob("[0-9][0-9][0-9][0-9]-*.md"))
    assert len(pages) > 30
    index = (ADR / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"\]\((\d{4}-[^)]+\.md)\)", index))
    status = re.compile(r"^Status: (accepted|superseded by \d{4}|accepted; partly superseded by \d{4})")
    for page in pages:
        second = page.read_text(encoding="utf-8").splitlines()[1]
        assert status.match(second), f"{page.name}: line 2 must be a Status line, got {second!r}"
        assert page.name in listed, f"{page.name} is missing from docs/adr/README.md"
    assert listed == {p.name for p in pages}
