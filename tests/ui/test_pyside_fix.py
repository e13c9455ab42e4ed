"""PySide6 6.12 on CPython 3.11 loses a reference to None per void call; the app survives it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
import dis_annotator.ui  # applies the fix
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
w = QWidget()
for _ in range(100_000):
    w.update()
    if _ % 10 == 0:
        app.processEvents()
print("alive")
"""


def test_many_void_calls_do_not_abort_the_interpreter():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "alive" in out.stdout
