"""The Models dialog a user understands (issue 14): sizes, installed and verified
columns, buttons enabled only when they apply, errors kept until the next action."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.ui.fakes import OFFLINE, Weights

pytestmark = pytest.mark.gui


@pytest.fixture
def dialog(qtbot, tmp_path):
    from dis_annotator.engine.weights import manifest
    from dis_annotator.ui.dialogs.models import ModelsDialog
    from dis_annotator.ui.model_service import ModelService

    ckpt = tmp_path / "mobile_sam.pt"
    ckpt.write_bytes(b"weights")
    weights = Weights()
    service = ModelService()
    service.download_fn = weights.download
    service.locate_fn = weights.locate
    entries = {e.name: e for e in manifest.entries()}
    state = {"installed": {"mobile_sam": ckpt}}
    service.list_fn = lambda: [e.with_path(state["installed"].get(e.name)) for e in entries.values()]
    service.remove_fn = lambda name: state["installed"].pop(name, None)
    d = ModelsDialog(service)
    d.confirm_remove = False
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    d.weights, d.state = weights, state
    return d


def row_of(d, name: str) -> int:
    return next(i for i, m in enumerate(d.models) if m.name == name)


def test_columns_sizes_and_the_whole_table_visible(dialog):
    d = dialog
    assert [d.table.horizontalHeaderItem(i).text() for i in range(d.table.columnCount())] == [
        "Model", "What it does", "Size", "Installed", "Verified"]
    r = row_of(d, "mobile_sam")
    assert d.table.item(r, 0).text() == "MobileSAM" and d.table.item(r, 2).text() == "41 MB"
    assert d.table.item(r, 3).text() == "yes" and d.table.item(row_of(d, "sam_vit_b"), 3).text() == "no"
    assert d.table.item(row_of(d, "sam_vit_b"), 2).text() == "375 MB"
    assert d.table.item(r, 1).text()  # what it does
    assert not d.table.verticalHeader().isVisible()
    # every row fits without scrolling (it used to be one row short)
    assert d.table.verticalScrollBar().maximum() == 0 or not d.table.verticalScrollBar().isVisible()


def test_buttons_apply_only_when_they_can(dialog):
    d = dialog
    assert not d.cancel_btn.isEnabled() and not d.cancel_btn.isVisible()  # nothing downloads
    assert not d.download_btn.isEnabled() and not d.verify_btn.isEnabled()  # nothing selected
    d.select("mobile_sam")  # installed
    assert not d.download_btn.isEnabled() and d.verify_btn.isEnabled() and d.remove_btn.isEnabled()
    d.select("sam_vit_b")  # downloadable, not installed
    assert d.download_btn.isEnabled() and not d.verify_btn.isEnabled() and not d.remove_btn.isEnabled()
    d.select("is5net")  # no direct link
    assert not d.download_btn.isEnabled() and "Import" in d.download_btn.toolTip()
    assert d.import_btn.isEnabled()


def test_offline_download_error_is_shown_and_kept(qtbot, dialog):
    from dis_annotator.engine.weights import DownloadError

    d = dialog
    d.weights.error = DownloadError(OFFLINE.replace("mobile_sam", "sam_vit_b"))
    d.select("sam_vit_b")
    qtbot.mouseClick(d.download_btn, Qt.MouseButton.LeftButton)
    assert d.cancel_btn.isEnabled()
    qtbot.waitUntil(lambda: "offline" in d.message.text(), timeout=10000)
    text = d.message.text()
    assert text.startswith("⚠ Could not download SAM ViT-B: cannot reach the server")
    assert "sam_vit_b_01ec64.pth from https://" in text and "Import…" in text  # the manual route
    qtbot.wait(300)
    d.refresh()  # it used to replace the error at once
    assert d.message.text() == text
    assert not d.cancel_btn.isEnabled() and d.download_btn.isEnabled()


def test_remove_updates_the_table(qtbot, dialog):
    d = dialog
    d.select("mobile_sam")
    qtbot.mouseClick(d.remove_btn, Qt.MouseButton.LeftButton)
    assert "removed" in d.message.text()
    assert d.table.item(row_of(d, "mobile_sam"), 3).text() == "no"
    assert isinstance(d.state["installed"], dict) and "mobile_sam" not in d.state["installed"]


def test_verify_reports_the_result(qtbot, dialog):
    from dis_annotator.engine.weights import VerifyResult

    d = dialog
    d.service.verify_fn = lambda name: [VerifyResult(name, "ok", Path("/x"), "SHA-256 matches the manifest")]
    d.select("mobile_sam")
    qtbot.mouseClick(d.verify_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "matches" in d.message.text(), timeout=5000)
    assert d.table.item(row_of(d, "mobile_sam"), 4).text() == "yes"


def test_error_and_size_wording():
    from dis_annotator.ui.model_service import first_line, size_text

    assert first_line(OFFLINE) == "mobile_sam: cannot reach the server (offline?)"
    assert first_line("sam_vit_b: HTTP 404 Not Found; Download it by hand from X") == "sam_vit_b: HTTP 404 Not Found"
    assert (size_text(40728226), size_text(375042383), size_text(1249524607), size_text(None)) == (
        "41 MB", "375 MB", "1.2 GB", "")
