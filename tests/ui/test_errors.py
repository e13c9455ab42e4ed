"""Missing weights and a pipeline that cannot start: a message, and the app goes on."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from dis_annotator.engine.errors import WeightsError
from dis_annotator.ui.app import pipeline_factory
from tests.ui.drive import drag, key

pytestmark = pytest.mark.gui


def test_unavailable_learned_engine_falls_back_to_classical():
    pipeline = pipeline_factory("sam")()
    assert pipeline.coarse.name == "grabcut"
    assert "sam engine unavailable" in pipeline.notes[0]


def test_pipeline_that_cannot_start_leaves_a_working_app(qtbot, make_window, images, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: shown.append(a[2]))

    def broken():
        raise WeightsError("checkpoint sam_vit_b.pth is damaged")

    from PySide6.QtCore import QSettings

    from dis_annotator.ui.main_window import MainWindow
    from dis_annotator.ui.settings import Settings

    w = MainWindow(broken, Settings(QSettings(str(images[0].parent / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert "damaged" in shown[0]
    assert w.open_path(images[0])
    messages = []
    w.controller.message.connect(messages.append)
    drag(qtbot, w, (115, 75), (300, 225))
    assert messages and "unavailable" in messages[0]
    # The brush still edits masks.
    key(qtbot, w, Qt.Key.Key_B)
    drag(qtbot, w, (20, 20), (60, 30))
    doc = w.controller.doc
    assert any(np.any(o.mask) for o in doc)
    w.close()
