"""Everyday rough edges (issue 14): empty results, cancelled boxes, a window that never
resizes itself, feedback while computing, export-all's end, reopening, list ends."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.ui.drive import drag, key, wait_idle
from tests.ui.fakes import EmptyStage, SlowStage

pytestmark = pytest.mark.gui


def pipeline_of(stage_type):
    def make():
        from dis_annotator.engine.classical import ClassicalRefiner
        from dis_annotator.engine.pipeline import Pipeline

        return Pipeline(stage_type(), ClassicalRefiner())

    return make


def test_empty_result_marks_its_row_and_says_so_on_the_canvas(qtbot, make_window, images):
    from dis_annotator.ui.panels.objects import PROBLEM_ROLE

    w = make_window(pipeline_of(EmptyStage))
    w.open_path(images[0])
    drag(qtbot, w, (115, 75), (300, 225))
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: w.objects.list.count() == 1)
    item = w.objects.list.item(0)
    assert "empty result" in item.data(PROBLEM_ROLE)
    assert item.toolTip().startswith("No mask: empty result for box")
    text, where = w.canvas.busy.notice
    assert "No object found in this box" in text and where == (115, 75, 300, 225) or where[0] == pytest.approx(115, abs=2)
    assert "empty result" in w.status.currentMessage()
    # a new prompt clears the notice
    drag(qtbot, w, (20, 20), (60, 60))
    assert w.canvas.busy.notice is None
    wait_idle(qtbot, w)


def test_a_good_result_has_no_marker(qtbot, make_window, images):
    from dis_annotator.ui.panels.objects import PROBLEM_ROLE

    w = make_window()
    w.open_path(images[0])
    drag(qtbot, w, (115, 75), (300, 225))
    wait_idle(qtbot, w)
    qtbot.waitUntil(lambda: w.objects.list.count() == 1)
    assert not w.objects.list.item(0).data(PROBLEM_ROLE)
    assert w.canvas.busy.notice is None


def test_box_cancelled_with_esc_leaves_no_row(qtbot, make_window, images):
    w = make_window(pipeline_of(SlowStage))
    w.open_path(images[0])
    doc = w.controller.doc
    drag(qtbot, w, (115, 75), (300, 225))
    qtbot.waitUntil(lambda: w.objects.list.count() == 1)  # the row shows while it runs
    key(qtbot, w, Qt.Key.Key_Escape)
    assert len(doc) == 0 and not w.canvas.busy.marks
    qtbot.waitUntil(lambda: w.objects.list.count() == 0)
    wait_idle(qtbot, w)
    qtbot.wait(200)
    assert len(doc) == 0 and w.objects.list.count() == 0
    assert not w.histories.stack(doc).canUndo()  # nothing to undo either


def test_busy_mark_stays_on_the_box_and_names_the_step(qtbot, make_window, images):
    w = make_window(pipeline_of(SlowStage))
    w.open_path(images[0])
    steps = []
    w.worker.activity.connect(lambda what: steps.append(w.status.activity.text()))
    drag(qtbot, w, (115, 75), (300, 225))
    doc = w.controller.doc
    obj_id = doc.objects[0].id
    mark = w.canvas.busy.marks[obj_id]
    assert mark.kind == "box" and mark.rect[0] == pytest.approx(115, abs=2) and mark.step == "Segmenting…"
    qtbot.waitUntil(lambda: w.canvas._spin.isActive())
    wait_idle(qtbot, w)
    assert not w.canvas.busy.marks and not w.canvas._spin.isActive()
    assert "Segmenting…" in steps and "Refining…" in steps
    assert "Segmenting (coarse)…" not in steps


def test_no_blank_overlay_frame_between_preview_and_refined_result(qtbot, make_window, images):
    w = make_window()
    w.open_path(images[0])
    overlay = w.canvas.overlay
    overlay.async_pixels = 1  # every layer is built in the background, as on large images
    states: list[bool] = []
    watched: list[str] = []

    def record(*_args):
        if watched:
            oid = watched[0]
            states.append(oid in overlay.layers or oid in overlay.previews)

    for name in ("set_mask", "set_preview", "remove"):
        original = getattr(overlay, name)

        def wrapped(*args, _original=original, **kwargs):
            out = _original(*args, **kwargs)
            record()
            return out

        setattr(overlay, name, wrapped)
    overlay.changed.connect(record)
    w.worker.partial.connect(lambda r, tag: watched.append(tag.obj_id) if not watched else None)
    drag(qtbot, w, (115, 75), (300, 225))
    wait_idle(qtbot, w)
    oid = w.controller.doc.objects[0].id
    assert watched == [oid]
    assert oid in overlay.layers and oid not in overlay.previews
    first = states.index(True)
    assert all(states[first:]), f"a frame without the object's overlay: {states}"


def test_window_width_unchanged_by_a_300_character_status_message(qtbot, make_window, images):
    w = make_window()
    w.open_path(images[0])
    qtbot.wait(50)
    width = w.width()
    long = "a very long message " * 15
    assert len(long) == 300
    w.status.show_error(long)
    w.status.set_activity(long)
    w.status.set_latency({"stages": [{"name": "x" * 100, "ms": 1.0}] * 3, "total_ms": 3.0})
    qtbot.wait(100)
    assert w.width() == width
    assert w.status.message.toolTip() == f"⚠ {long}"
    assert w.status.message.elided() != w.status.message.text()  # shown elided


def test_switching_images_clears_the_previous_images_status(qtbot, make_window, images):
    w = make_window()
    w.open_path(images[0])
    drag(qtbot, w, (115, 75), (300, 225))
    wait_idle(qtbot, w)
    assert "total" in w.status.latency.text()
    w.status.show_error("something about image 1")
    w.step(+1)
    assert w.status.latency.text() == "" and w.status.currentMessage() == ""


def test_d_on_the_last_image_says_so(qtbot, make_window, images):
    w = make_window()
    w.open_path(images[-1])
    key(qtbot, w, Qt.Key.Key_D)
    assert "last image (3 of 3)" in w.status.currentMessage()
    w.show_index(0)
    key(qtbot, w, Qt.Key.Key_A)
    assert "first image (1 of 3)" in w.status.currentMessage()


def test_reopening_a_folder_starts_on_the_image_last_edited(qtbot, make_window, images):
    w = make_window()
    w.open_path(images[0].parent)
    assert w.session.index == 0
    w.show_index(1)
    drag(qtbot, w, (115, 75), (300, 225))
    wait_idle(qtbot, w)
    w.show_index(2)  # looked at, not edited
    w.open_path(images[0].parent)
    assert w.session.index == 1


def test_file_list_elides_instead_of_scrolling_sideways(make_window, images):
    w = make_window()
    w.open_path(images[0])
    lst = w.files.list
    assert lst.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    assert lst.textElideMode() == Qt.TextElideMode.ElideMiddle
    assert str(images[0]) in lst.item(0).toolTip()


def test_export_all_closes_its_dialog_and_reports_in_plain_words(qtbot, make_window, images):
    w = make_window()
    w.open_path(images[0])
    drag(qtbot, w, (115, 75), (300, 225))
    wait_idle(qtbot, w)
    job = w.export_all()
    assert job is not None
    qtbot.waitUntil(lambda: w.export_job is None, timeout=20000)
    qtbot.waitUntil(lambda: not w.export_dialog.isVisible(), timeout=5000)
    assert w.status.currentMessage() == "Saved the masks of 1 image (2 images without masks skipped)"


def test_export_summary_words():
    from dis_annotator.ui.main_window import export_summary

    assert export_summary(2, 2, 0, False) == "Saved the masks of 2 images"
    assert export_summary(0, 3, 0, False) == "Nothing to export: no image has masks yet"
    assert export_summary(1, 3, 1, True) == "Export cancelled: masks of 1 image saved; 1 image failed"


def test_deleting_a_box_object_while_it_runs_leaves_nothing(qtbot, make_window, images):
    w = make_window(pipeline_of(SlowStage))
    w.open_path(images[0])
    doc = w.controller.doc
    drag(qtbot, w, (115, 75), (300, 225))
    key(qtbot, w, Qt.Key.Key_Delete)
    assert len(doc) == 0 and not w.histories.stack(doc).canUndo()
    wait_idle(qtbot, w)
    qtbot.wait(100)
    assert len(doc) == 0


def test_brushing_a_box_object_while_it_runs_keeps_one_history(qtbot, make_window, images):
    w = make_window(pipeline_of(SlowStage))
    w.open_path(images[0])
    doc = w.controller.doc
    drag(qtbot, w, (115, 75), (300, 225))
    w.set_tool("brush")
    drag(qtbot, w, (20, 20), (40, 40))  # paints into the selected (running) object
    w.set_tool("prompt")
    wait_idle(qtbot, w)
    qtbot.wait(100)
    assert len(doc) == 1 and doc.objects[0].mask.any()
    stack = w.histories.stack(doc)
    while stack.canUndo():
        stack.undo()
    assert len(doc) == 0  # undoing everything leaves no row, and never fails
    while stack.canRedo():
        stack.redo()
    assert len(doc) == 1 and doc.objects[0].mask.any()


def test_a_box_still_segmenting_when_the_app_closes_runs_again_when_reopened(qtbot, make_window, images):
    w = make_window(pipeline_of(SlowStage))
    w.open_path(images[0])
    drag(qtbot, w, (115, 75), (300, 225))
    qtbot.waitUntil(lambda: w.objects.list.count() == 1)  # the row shows while it runs
    w.close()  # before the result lands: the object is saved with its box, no mask
    again = make_window()
    again.open_path(images[0])
    doc = again.controller.doc
    assert len(doc) == 1 and doc.objects[0].prompt.box is not None
    qtbot.waitUntil(lambda: doc.objects[0].mask.any(), timeout=20000)
    wait_idle(qtbot, again)
    assert doc.objects[0].provenance  # a real result, with its stages
    assert doc.objects[0].mask[150, 200]  # the scene's object under the box
