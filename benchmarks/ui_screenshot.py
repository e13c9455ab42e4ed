"""Take docs/screenshot.png: the real app under Xvfb, driven through its controller.

    Xvfb :99 -screen 0 1440x900x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python benchmarks/ui_screenshot.py OUT.png

Copies the bundled samples to a temporary folder (the sidecars land there), opens the
astronaut photo with the classical pipeline, draws two boxes and one background click,
names the objects, then grabs the root window with ImageMagick's ``import``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings, QTimer  # noqa: E402

from dis_annotator.engine.types import Box, Point  # noqa: E402
from dis_annotator.ui.app import application, pipeline_factory  # noqa: E402
from dis_annotator.ui.main_window import MainWindow  # noqa: E402
from dis_annotator.ui.settings import Settings  # noqa: E402

STEPS = [("box", Box(0, 0, 105, 345)), ("box", Box(30, 20, 470, 512)), ("click", Point(415, 69, False))]
LABELS = ["flag", "astronaut"]


def main(out: str) -> int:
    work = Path(tempfile.mkdtemp())
    photos = work / "photos"
    shutil.copytree(ROOT / "resources" / "samples", photos, ignore=shutil.ignore_patterns("*.json", "*.md"))
    app = application()
    settings = Settings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
    w = MainWindow(pipeline_factory("classical"), settings)
    w.setGeometry(0, 0, 1440, 900)
    w.show()
    w.open_path(photos / "astronaut.jpg")
    steps = list(STEPS)

    def step() -> None:
        c = w.controller
        if c._pending or w.worker.busy() or not w.stages or w.canvas.overlay.busy():
            return
        if steps:
            kind, value = steps.pop(0)
            c.on_box(value) if kind == "box" else c.on_point(value)
            return
        timer.stop()
        for obj, label in zip(list(c.doc), LABELS, strict=False):
            c.rename(obj.id, label)
        QTimer.singleShot(800, shoot)

    def shoot() -> None:
        subprocess.run(["import", "-window", "root", out], check=True)
        w.close()
        app.quit()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(200)
    QTimer.singleShot(120_000, app.quit)
    app.exec()
    shutil.rmtree(work, ignore_errors=True)
    return 0 if Path(out).is_file() else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png"))
