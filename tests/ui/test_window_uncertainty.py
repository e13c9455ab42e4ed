"""Issue 15 through the real main window: U shows the uncertain band and the suggested
click; the accept keys add a click of their label at the marker; the objects panel
shows the effort; the file list sorts images worst first."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from dis_annotator.engine.types import MaskOutput, StageReport
from tests.ui.conftest import H, W
from tests.ui.drive import drag, key, wait_idle

pytestmark = pytest.mark.gui

TAB = (slice(135, 165), slice(240, 290))  # rows, cols of the scene's tab (yellow, part of the object)


class MissesTheTab:
    """A coarse stage that finds the disc but never the tab: a known, drawn error."""

    name = "misses-tab"
    learned = False

    def prepare(self, image, is_current=None) -> None:  # noqa: ANN001
        pass

    def predict(self, image, prompt, previous):  # noqa: ANN001
        yy, xx = np.mgrid[:H, :W]
        mask = (xx - 190) ** 2 + (yy - 150) ** 2 < 60**2
        return MaskOutput(mask=mask, report=StageReport("coarse", self.name, False))


def tab_pipeline():
    from dis_annotator.engine.pipeline import Pipeline

    return Pipeline(MissesTheTab())


def tinted(w) -> np.ndarray:
    """Where the canvas shows the amber band, in image pixels (from a screen grab)."""
    img = w.canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def open_with_object(qtbot, make_window, images):
    w = make_window(tab_pipeline)
    w.open_path(images[0])
    drag(qtbot, w, (115, 75), (300, 225))
    doc = w.controller.doc
    qtbot.waitUntil(lambda: len(doc) == 1 and doc.objects[0].mask.any(), timeout=20000)
    wait_idle(qtbot, w)
    return w, doc


def test_u_shows_the_band_over_the_missed_part(qtbot, make_window, images):
    w, doc = open_with_object(qtbot, make_window, images)
    u = w.controller.uncertainty_of(doc.objects[0].id)
    assert u is not None and u.suggested_click is not None and u.suggested_positive
    x, y = u.suggested_click
    assert 240 <= x < 290 and 135 <= y < 165  # the suggestion is in the missed tab
    before = tinted(w)
    key(qtbot, w, Qt.Key.Key_U)
    assert w.actions["toggle_uncertainty"].isChecked() and w.canvas.uncertainty.shown
    after = tinted(w)
    p = w.canvas.to_screen(282, 140)  # in the tab, away from the marker drawn at its centre
    r, c = int(p.y()), int(p.x())
    assert not np.array_equal(before[r, c], after[r, c])  # the tab is tinted
    # The disc's inside is sure: untouched (below the marker's row, which its hint takes).
    q = w.canvas.to_screen(190, 178)
    assert np.array_equal(before[int(q.y()), int(q.x())], after[int(q.y()), int(q.x())])
    key(qtbot, w, Qt.Key.Key_U)
    assert not w.canvas.uncertainty.shown


@pytest.mark.parametrize(("k", "positive"), [(Qt.Key.Key_Y, True), (Qt.Key.Key_X, False)])
def test_accept_keys_add_a_click_of_their_label_at_the_marker(qtbot, make_window, images, k, positive):
    w, doc = open_with_object(qtbot, make_window, images)
    obj = doc.objects[0]
    x, y = w.controller.uncertainty_of(obj.id).suggested_click
    key(qtbot, w, k)
    qtbot.waitUntil(lambda: len(doc.objects[0].prompt.points) == 1, timeout=20000)
    wait_idle(qtbot, w)
    p = doc.objects[0].prompt.points[0]
    assert (p.x, p.y, p.positive) == (x, y, positive)


def test_objects_panel_shows_effort_and_files_sort_worst_first(qtbot, make_window, images):
    from dis_annotator.ui.panels.objects import EFFORT_ROLE

    w, doc = open_with_object(qtbot, make_window, images)
    effort = doc.objects[0].provenance["uncertainty"]["effort"]
    assert effort > 0
    item = w.objects.list.item(0)
    assert item.data(EFFORT_ROLE) == f"≈ {effort:.0f}" and "corrections left" in item.toolTip()
    w.save()
    w.files.worst_first.setChecked(True)
    order = w.files.image_order()
    assert order[0] == 0  # the only image with an estimate comes first
    assert w.files.list.item(0).text() == images[0].name


def test_the_hint_stays_on_screen_beside_a_marker_near_the_right_edge():
    from PySide6.QtCore import QPointF

    from dis_annotator.ui.canvas.uncertainty_view import hint_origin

    middle = hint_origin(QPointF(100, 50), 200, 800)
    assert middle.x() > 100  # room on the right: the hint follows the marker
    edge = hint_origin(QPointF(700, 50), 200, 800)
    assert edge.x() + 200 < 700  # no room: it sits left of the marker, whole
