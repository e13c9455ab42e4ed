"""Brush/eraser pixels, autosave + reopen, export PNGs, switching images."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from dis_annotator.annotation.brush import stroke_mask
from dis_annotator.io import read_mask_png
from tests.ui.drive import drag, image_pos, key, wait_idle

pytestmark = pytest.mark.gui


def segment(qtbot, w, box=((115, 75), (300, 225))):
    n = len(w.controller.doc)
    drag(qtbot, w, *box)
    doc = w.controller.doc
    qtbot.waitUntil(lambda: len(doc) == n + 1 and doc.objects[-1].mask.any(), timeout=20000)
    wait_idle(qtbot, w)
    return doc.objects[-1]


def stroke(qtbot, w, start, end):
    positions = drag(qtbot, w, start, end, steps=5)
    return [image_pos(w, p) for p in positions]


def test_brush_and_eraser_change_exactly_the_stroked_pixels(qtbot, make_window, images):
    w = make_window()
    w.open_path(images[0])
    obj = segment(qtbot, w)
    doc = w.controller.doc
    w.brush_size.setValue(6)

    key(qtbot, w, Qt.Key.Key_B)
    assert w.canvas.tool.name == "brush"
    before = obj.mask.copy()
    pts = stroke(qtbot, w, (20, 30), (90, 60))
    rect, window = stroke_mask(doc.shape, pts, 6)
    expected = before.copy()
    expected[rect.slices] |= window
    assert window.sum() > 300
    assert np.array_equal(doc.objects[0].mask, expected)

    key(qtbot, w, Qt.Key.Key_E)
    assert w.canvas.tool.name == "eraser"
    before = doc.objects[0].mask.copy()
    pts = stroke(qtbot, w, (150, 150), (230, 150))
    rect, window = stroke_mask(doc.shape, pts, 6)
    expected = before.copy()
    expected[rect.slices] &= ~window
    assert (before[rect.slices] & window).sum() > 300  # the eraser really hit the object
    assert np.array_equal(doc.objects[0].mask, expected)

    key(qtbot, w, Qt.Key.Key_BracketRight)
    assert w.brush_size.value() > 6 and w.canvas.tool.radius == w.brush_size.value()
    key(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(doc.objects[0].mask, before)


def test_autosave_then_reopen_restores_identical_masks(qtbot, make_window, images):
    w = make_window()
    w.open_path(images[0])
    segment(qtbot, w)
    key(qtbot, w, Qt.Key.Key_B)
    stroke(qtbot, w, (20, 30), (60, 40))
    w.controller.doc.objects[0]  # noqa: B018
    w.objects.list.item(0).setText("sun")
    saved = {o.id: (o.label, o.mask.copy()) for o in w.controller.doc}
    # No explicit save: autosave must have written everything by the time we close.
    w.close()
    assert (images[0].parent / ".dis-annotator" / "img1.png.json").is_file()

    w2 = make_window()
    w2.open_path(images[0])
    got = {o.id: (o.label, o.mask) for o in w2.controller.doc}
    assert got.keys() == saved.keys()
    for k, (label, mask) in saved.items():
        assert got[k][0] == label
        assert np.array_equal(got[k][1], mask)
    assert w2.canvas.overlay.layers.keys() == saved.keys()


def test_export_writes_correct_pngs(qtbot, make_window, images):
    w = make_window()
    w.open_path(images[0])
    a = segment(qtbot, w)
    key(qtbot, w, Qt.Key.Key_B)
    w.brush_size.setValue(8)
    key(qtbot, w, Qt.Key.Key_N)
    stroke(qtbot, w, (20, 20), (80, 40))
    doc = w.controller.doc
    assert len(doc) == 2
    key(qtbot, w, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    out = images[0].parent / "masks"
    union = read_mask_png(out / "img1.png")
    assert np.array_equal(union, a.mask | doc.objects[1].mask)
    assert np.array_equal(read_mask_png(out / "img1_obj1.png"), a.mask)
    assert np.array_equal(read_mask_png(out / "img1_obj2.png"), doc.objects[1].mask)
    from PIL import Image

    raw = np.asarray(Image.open(out / "img1.png"))
    assert raw.shape == (300, 400) and set(np.unique(raw)) <= {0, 255}


def test_switching_images_keeps_everything_and_export_all(qtbot, make_window, images):
    w = make_window()
    w.open_path(images[0])
    first = segment(qtbot, w).mask.copy()
    assert w.files.list.count() == 3
    key(qtbot, w, Qt.Key.Key_D)
    assert w.session.index == 1 and len(w.controller.doc) == 0
    second = segment(qtbot, w, ((110, 70), (305, 230))).mask.copy()
    key(qtbot, w, Qt.Key.Key_PageUp)
    assert w.session.index == 0
    assert np.array_equal(w.controller.doc.objects[0].mask, first)
    key(qtbot, w, Qt.Key.Key_PageDown)
    assert np.array_equal(w.controller.doc.objects[0].mask, second)
    # A result that lands after switching goes to its own image.
    key(qtbot, w, Qt.Key.Key_A)
    drag(qtbot, w, (10, 10), (100, 100))
    doc1 = w.controller.doc
    key(qtbot, w, Qt.Key.Key_D)
    wait_idle(qtbot, w)
    assert len(doc1) == 2 and doc1.objects[1].provenance.get("stages")
    assert len(w.controller.doc) == 1

    job = w.export_all()
    assert job is not None
    qtbot.waitUntil(lambda: w.export_job is None, timeout=20000)
    out = images[0].parent / "masks"
    assert np.array_equal(read_mask_png(out / "img2.png"), second)
    assert np.array_equal(read_mask_png(out / "img1_obj1.png"), first)
    assert not (out / "img3.png").exists()  # no annotation, nothing written


def test_export_all_can_be_cancelled(qtbot, make_window, images):
    from dis_annotator.ui.export import ExportAllJob, ExportItem

    w = make_window()
    w.open_path(images[0])
    segment(qtbot, w)
    job = w.export_all()
    from PySide6.QtWidgets import QPushButton

    w.export_dialog.findChild(QPushButton).click()  # the dialog's Cancel button reaches the job
    assert job._cancel.is_set()
    qtbot.waitUntil(lambda: w.export_job is None, timeout=20000)
    # A cancelled job stops before the next image and says so.
    doc = w.controller.doc.snapshot()
    items = [ExportItem(p, p.relative_to(p.parent), doc) for p in images]
    outcome = []
    late = ExportAllJob(items, images[0].parent / "elsewhere", cutouts=False)
    late.finished_with.connect(lambda n, errors, cancelled: outcome.append((n, cancelled)))
    late.cancel()
    late.run()  # synchronously, in this thread
    assert outcome == [(0, True)]
    assert not (images[0].parent / "elsewhere").exists()
