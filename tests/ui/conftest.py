"""pytest-qt fixtures: the real main window, offscreen, on generated images."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

W, H = 400, 300


def scene(seed: int, with_tab: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A noisy blue background with a yellow disc (and a yellow tab to its right).

    Returns the RGB image and the object's true mask (disc, plus tab when present).
    """
    rng = np.random.default_rng(seed)
    img = np.empty((H, W, 3), np.uint8)
    img[:] = (40, 90, 160)
    img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    yy, xx = np.mgrid[:H, :W]
    truth = (xx - 190) ** 2 + (yy - 150) ** 2 < 60**2
    if with_tab:
        truth |= (xx >= 240) & (xx < 290) & (yy >= 135) & (yy < 165)
    img[truth] = (235, 205, 45)
    return img, truth


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "photos"
    folder.mkdir()
    paths = []
    for i in range(3):
        img, _ = scene(i)
        p = folder / f"img{i + 1}.png"
        Image.fromarray(img).save(p)
        paths.append(p)
    return paths


def classical_pipeline():
    from dis_annotator.engine.classical import ClassicalRefiner, GrabCutStage
    from dis_annotator.engine.pipeline import Pipeline

    return Pipeline(GrabCutStage(), ClassicalRefiner())


@pytest.fixture
def make_window(qtbot, tmp_path: Path):
    from PySide6.QtCore import QSettings

    from dis_annotator.ui.app import application
    from dis_annotator.ui.main_window import MainWindow
    from dis_annotator.ui.settings import Settings

    application()
    made = []

    def make(factory=classical_pipeline):
        store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        w = MainWindow(factory, Settings(store))
        qtbot.addWidget(w)
        w.resize(1200, 800)
        w.show()
        qtbot.waitExposed(w)
        qtbot.waitUntil(lambda: bool(w.stages), timeout=20000)
        made.append(w)
        return w

    yield make
    for w in made:
        if w.isVisible():
            w.close()
        w.worker.stop()
