"""Settings, About and Models dialogs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence

from dis_annotator.ui.settings import Settings

pytestmark = pytest.mark.gui


def test_settings_dialog_saves_engine_cutouts_and_shortcuts(qtbot, tmp_path):
    from dis_annotator.ui.dialogs.settings import SettingsDialog

    s = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    d = SettingsDialog(s)
    qtbot.addWidget(d)
    d.engine.setCurrentIndex(d.engine.findData("classical"))
    d.cutouts.setChecked(True)
    d.edits["brush"].setKeySequence(QKeySequence("Ctrl+Alt+B"))
    d.accept()
    assert s.engine == "classical" and s.export_cutouts is True
    assert s.shortcuts("brush") == [QKeySequence("Ctrl+Alt+B")]
    # Alternatives beyond the first survive an edit of the first one.
    assert [k.toString() for k in s.shortcuts("redo")] == ["Ctrl+Shift+Z", "Ctrl+Y"]


def test_about_lists_versions_device_and_stages(qtbot):
    from dis_annotator.ui.dialogs.about import AboutDialog

    d = AboutDialog("cpu", [{"stage": "coarse", "name": "grabcut", "learned": False}])
    qtbot.addWidget(d)
    text = d.body.text()
    for word in ("dis-annotator", "Python", "PySide6", "torch", "numpy", "cpu", "grabcut", "classical"):
        assert word in text


def test_models_dialog_lists_the_manifest(qtbot):
    from dis_annotator.engine import weights
    from dis_annotator.ui.dialogs.models import COLUMNS, ModelsDialog
    from dis_annotator.ui.model_service import ModelService

    d = ModelsDialog(ModelService())
    qtbot.addWidget(d)
    assert d.table.rowCount() == len(weights.list_models())
    assert COLUMNS == ["Model", "What it does", "Size", "Installed", "Verified"]
    assert not d.table.verticalHeader().isVisible()  # no row numbers
    d.reject()
