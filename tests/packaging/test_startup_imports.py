"""The start-up path stays light: no torch/SAM before the window shows (docs/adr/0082).

torch costs seconds to import (1.8 s of a 2.2 s ``--version`` on an idle 2-core machine); the inference thread
imports it after the window is up. These tests fail when a module on the start-up path
starts importing it at top level.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "segment_anything", "scipy", "skimage")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return set(proc.stdout.split())


def test_cli_parser_and_help_import_nothing_heavy():
    code = ("from dis_annotator import cli\n"
            "p = cli.build_parser()\n"
            "import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    cli.main(['--help'])")
    assert _loaded_after(code) == set()


def test_main_window_module_does_not_import_torch():
    code = "import dis_annotator.ui.app, dis_annotator.ui.main_window"
    assert _loaded_after(code) == set()
