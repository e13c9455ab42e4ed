"""Getting the learned engine from inside the app (issue 14): the first-run bar, the
download / import path, the switch without a restart, and Settings leading there."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.ui.fakes import OFFLINE, Weights

pytestmark = pytest.mark.gui


@pytest.fixture
def fake(make_window):
    weights = Weights()

    def make():
        w = make_window(weights.factory)
        weights.attach(w)
        w._update_offer()  # with the fake "installed" state
        return w

    weights.make = make
    return weights


def test_bar_offers_the_recommended_sam_for_this_machine(fake):
    w = fake.make()
    assert w.device == "cpu"
    assert w.offer.isVisible()
    assert w.offer.primary.text() == "Download MobileSAM (41 MB)"
    assert w.offer.other.text() == "SAM ViT-B (375 MB)" and w.offer.other.isVisible()
    assert "classical" in w.offer.text.text()


def test_offline_download_shows_its_reason_and_the_manual_route_and_keeps_them(qtbot, fake):
    from dis_annotator.engine.weights import DownloadError

    fake.error = DownloadError(OFFLINE)
    w = fake.make()
    qtbot.mouseClick(w.offer.primary, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "offline" in w.offer.text.text(), timeout=10000)
    text, route = w.offer.text.text(), w.offer.route.text()
    assert text == "⚠ MobileSAM: cannot reach the server (offline?)."
    assert "could not download MobileSAM: cannot reach the server" in w.status.currentMessage()
    assert w.offer.route.isVisible()  # the manual route, on its own line: URL, then import
    assert route.startswith("Fetch mobile_sam.pt from https://") and route.endswith("“Use a file I have…”.")
    assert w.offer.primary.isVisible() and w.offer.use_file.isVisible()
    qtbot.wait(400)
    w._update_offer()  # what a refresh does: the error stays until the next action
    assert (w.offer.text.text(), w.offer.route.text()) == (text, route) and w.offer.route.isVisible()
    assert w.stages[0]["learned"] is False


def test_download_switches_to_sam_without_a_restart_and_the_bar_goes(qtbot, fake):
    w = fake.make()
    fake.release.clear()  # hold the download at its end to see the progress
    qtbot.mouseClick(w.offer.primary, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.offer.progress.isVisible() and w.offer.progress.value() > 0, timeout=10000)
    assert w.offer.cancel.isVisible() and not w.offer.primary.isVisible()
    assert "MB/s" in w.offer.text.text()
    fake.release.set()
    qtbot.waitUntil(lambda: bool(w.stages) and w.stages[0]["learned"], timeout=20000)
    assert fake.calls == ["mobile_sam"]
    assert w.worker.pipeline.coarse.name == "sam-fake"
    qtbot.waitUntil(lambda: not w.offer.isVisible())
    assert "sam-fake" in w.status.stages.text()


def test_cancel_keeps_the_offer_and_says_it_resumes(qtbot, fake):
    w = fake.make()
    fake.release.clear()
    qtbot.mouseClick(w.offer.primary, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.offer.cancel.isVisible(), timeout=5000)
    qtbot.mouseClick(w.offer.cancel, Qt.MouseButton.LeftButton)
    fake.release.set()
    qtbot.waitUntil(lambda: "cancelled" in w.offer.text.text(), timeout=10000)
    assert w.offer.primary.isVisible() and not w.stages[0]["learned"]


def test_use_a_file_i_have_imports_and_switches(qtbot, fake, tmp_path):
    w = fake.make()
    ckpt = tmp_path / "mobile_sam.pt"
    ckpt.write_bytes(b"x")
    w.import_model(ckpt)
    qtbot.waitUntil(lambda: bool(w.stages) and w.stages[0]["learned"], timeout=20000)
    assert not w.offer.isVisible()


def test_dismissed_bar_stays_away_and_classical_choice_hides_it(qtbot, fake):
    w = fake.make()
    qtbot.mouseClick(w.offer.close_btn, Qt.MouseButton.LeftButton)
    assert not w.offer.isVisible() and w.settings.offer_dismissed
    w._update_offer()
    assert not w.offer.isVisible()


def test_choosing_sam_without_weights_opens_the_download_path(qtbot, fake):
    w = fake.make()
    w.settings.offer_dismissed = True
    w._update_offer()
    w.actions["settings"].trigger()
    d = w.settings_dialog
    d.engine.setCurrentIndex(d.engine.findData("sam"))
    assert "not installed" in d.weights_line.text() and d.get_btn.isVisibleTo(d)
    d.accept()
    qtbot.waitUntil(lambda: w.models_dialog is not None and w.models_dialog.isVisible(), timeout=5000)
    assert w.models_dialog.selected_name() == "mobile_sam"
    assert w.models_dialog.download_btn.isEnabled()
    assert w.offer.isVisible() and "Download MobileSAM" in w.offer.primary.text()
    assert w.settings.engine == "sam" and not w.settings.offer_dismissed
    w.models_dialog.reject()


def test_settings_words_and_plain_buttons(qtbot, fake):
    from PySide6.QtWidgets import QDialogButtonBox, QLabel

    w = fake.make()
    w.actions["settings"].trigger()
    d = w.settings_dialog
    texts = " ".join(label.text() for label in d.findChildren(QLabel))
    assert "first sequence" not in texts and "click a field" in texts
    for box in d.findChildren(QDialogButtonBox):
        assert all(b.icon().isNull() for b in box.buttons())
    d.reject()
