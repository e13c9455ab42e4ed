"""The SAM model choice: stored in settings, offered in the dialog, passed to the factory."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from dis_annotator.ui.settings import SAM_MODELS, Settings

pytestmark = pytest.mark.gui


def test_setting_round_trip_and_dialog(qtbot, tmp_path):
    from dis_annotator.ui.dialogs.settings import SettingsDialog

    s = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert s.sam_model == "auto" and "mobile_sam" in SAM_MODELS
    with pytest.raises(ValueError):
        s.sam_model = "vit_z"
    d = SettingsDialog(s)
    qtbot.addWidget(d)
    assert [d.sam_model.itemData(i) for i in range(d.sam_model.count())] == list(SAM_MODELS)
    assert "MobileSAM" in d.sam_model.itemText(SAM_MODELS.index("mobile_sam"))
    d.sam_model.setCurrentIndex(d.sam_model.findData("mobile_sam"))
    d.accept()
    assert Settings(s.store).sam_model == "mobile_sam"
    s.store.setValue("engine/sam_model", "garbage")
    assert s.sam_model == "auto"


def test_factory_passes_the_model_to_the_sam_loader(monkeypatch):
    from dis_annotator.engine import factory
    from dis_annotator.ui.app import pipeline_factory

    seen = []

    def fake(engine="auto", **options):
        seen.append(options)
        return "pipeline"

    monkeypatch.setattr(factory, "build_pipeline", fake)
    assert pipeline_factory("auto", "mobile_sam")() == "pipeline"
    assert pipeline_factory("sam")() == "pipeline"
    assert seen == [{"sam_model": "mobile_sam"}, {}]
