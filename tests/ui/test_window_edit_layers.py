"""Issue 12's proof through the real main window: brush and eraser strokes survive every
model re-run — a click, undo/redo of it, export (PNG, cut-out, Ctrl+Shift+E), closing
and reopening (autosave), and a click after reopening; "Clear manual edits" is one undo
step; the layers view and the eraser preview draw in neutral styles."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from dis_annotator.annotation.brush import stroke_mask
from dis_annotator.io import read_mask_png
from tests.ui.drive import at, click, drag, image_pos, key, wait_idle

pytestmark = pytest.mark.gui

CTRL = Qt.KeyboardModifier.ControlModifier
WIRE = ((20, 30), (90, 60))  # brushed: far outside the object
BAND = ((150, 150), (230, 150))  # erased: through the disc


def full(region, shape) -> np.ndarray:
    rect, window = region
    out = np.zeros(shape, bool)
    out[rect.slices] = window
    return out


def stroke(qtbot, w, start, end, radius):
    positions = drag(qtbot, w, start, end, steps=5)
    return full(stroke_mask(w.controller.doc.shape, [image_pos(w, p) for p in positions], radius),
                w.controller.doc.shape)


def box_and_strokes(qtbot, w):
    """Box → object, brush a wire outside it, erase a band through it."""
    drag(qtbot, w, (115, 75), (300, 225))
    doc = w.controller.doc
    qtbot.waitUntil(lambda: len(doc) == 1 and doc.objects[0].mask.any(), timeout=20000)
    wait_idle(qtbot, w)
    w.brush_size.setValue(6)
    key(qtbot, w, Qt.Key.Key_B)
    brushed = stroke(qtbot, w, *WIRE, 6)
    key(qtbot, w, Qt.Key.Key_E)
    erased = stroke(qtbot, w, *BAND, 6)
    assert brushed.sum() > 300 and erased.sum() > 300
    return doc.objects[0], brushed, erased


def positive_click(qtbot, w, x, y):
    obj = w.controller.doc.objects[0]
    n = len(obj.prompt.points)
    key(qtbot, w, Qt.Key.Key_P)
    click(qtbot, w, x, y)
    qtbot.waitUntil(lambda: len(w.controller.doc.objects[0].prompt.points) == n + 1, timeout=20000)
    wait_idle(qtbot, w)


def assert_kept(mask, brushed, erased):
    assert mask[brushed].all(), f"{(~mask[brushed]).sum()} brushed pixels lost"
    assert not mask[erased].any(), f"{mask[erased].sum()} erased pixels came back"


def export_checked(qtbot, w, brushed, erased):
    for f in (w.controller.doc.image_path.parent / "masks").glob("*.png"):
        f.unlink()
    key(qtbot, w, Qt.Key.Key_E, CTRL)
    out = w.controller.doc.image_path.parent / "masks"
    assert_kept(read_mask_png(out / "img1.png"), brushed, erased)
    assert_kept(read_mask_png(out / "img1_obj1.png"), brushed, erased)
    alpha = np.asarray(Image.open(out / "img1_obj1_cutout.png"))[..., 3]
    assert_kept(alpha > 0, brushed, erased)


def test_strokes_survive_click_undo_redo_export_and_reopen(qtbot, make_window, images):
    w = make_window()
    w.settings.export_cutouts = True
    w.open_path(images[0])
    obj, brushed, erased = box_and_strokes(qtbot, w)
    positive_click(qtbot, w, 190, 110)
    after_click = obj.mask.copy()
    assert_kept(after_click, brushed, erased)
    export_checked(qtbot, w, brushed, erased)

    # undo the click's result: the layers are untouched; redo: the same mask again
    key(qtbot, w, Qt.Key.Key_Z, CTRL)
    assert len(obj.prompt.points) == 0
    assert_kept(obj.mask, brushed, erased)
    export_checked(qtbot, w, brushed, erased)
    key(qtbot, w, Qt.Key.Key_Y, CTRL)
    assert np.array_equal(obj.mask, after_click)
    export_checked(qtbot, w, brushed, erased)
    assert "manual edits" in w.objects.list.item(0).toolTip()

    # close (autosave) and reopen: the layers come back from disk, not only the pixels
    w.close()
    w2 = make_window()
    w2.settings.export_cutouts = True
    w2.open_path(images[0])
    again = w2.controller.doc.objects[0]
    assert np.array_equal(again.mask, after_click)
    assert np.array_equal(again.edits.codes, obj.edits.codes)
    export_checked(qtbot, w2, brushed, erased)
    positive_click(qtbot, w2, 200, 190)  # a new model run after reopening keeps them too
    assert_kept(again.mask, brushed, erased)
    export_checked(qtbot, w2, brushed, erased)

    # Ctrl+Shift+E (export all) writes the composed mask as well
    (w2.controller.doc.image_path.parent / "masks" / "img1.png").unlink()
    key(qtbot, w2, Qt.Key.Key_E, CTRL | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: w2.export_job is None, timeout=20000)
    assert_kept(read_mask_png(w2.controller.doc.image_path.parent / "masks" / "img1.png"), brushed, erased)


def test_clear_manual_edits_from_the_context_menu_is_one_undo_step(qtbot, make_window, images):
    w = make_window()
    w.open_path(images[0])
    obj, brushed, erased = box_and_strokes(qtbot, w)
    edited = obj.mask.copy()
    menu = w.objects.context_menu(w.objects.list.visualItemRect(w.objects.list.item(0)).center())
    assert menu is not None
    [clear] = [a for a in menu.actions() if a.text().replace("&", "") == "Clear manual edits"]
    clear.trigger()
    assert not obj.edits
    assert not obj.mask[brushed].any()  # the wire was all manual
    assert obj.mask[erased].sum() > 0.8 * erased.sum()  # the band was the model's
    key(qtbot, w, Qt.Key.Key_Z, CTRL)
    assert np.array_equal(obj.mask, edited) and obj.edits
    key(qtbot, w, Qt.Key.Key_Y, CTRL)
    assert not obj.edits
    # the Edit menu has it too; nothing left to clear: no step, a message
    count = w.histories.stack(w.controller.doc).count()
    w.actions["clear_edits"].trigger()
    assert w.histories.stack(w.controller.doc).count() == count


def _grab(w) -> np.ndarray:
    """The canvas as shown: H×W×3 uint8 (screen pixels)."""
    from PySide6.QtGui import QImage

    w.canvas.repaint()
    img = w.canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def _screen_box(w, mask: np.ndarray, pad: int = 4) -> tuple[slice, slice]:
    ys, xs = np.nonzero(mask)
    a = w.canvas.to_screen(xs.min(), ys.min())
    b = w.canvas.to_screen(xs.max() + 1, ys.max() + 1)
    return slice(max(0, int(a.y()) - pad), int(b.y()) + pad), slice(max(0, int(a.x()) - pad), int(b.x()) + pad)


def test_layers_view_and_neutral_eraser_preview(qtbot, make_window, images):
    w = make_window()
    w.open_path(images[0])
    obj, brushed, erased = box_and_strokes(qtbot, w)
    w.canvas.zoom_at(at(w, 120, 100), 1.5)  # strokes several screen pixels wide
    plain = _grab(w)
    key(qtbot, w, Qt.Key.Key_M)
    assert w.actions["toggle_edits"].isChecked() and w.canvas.edit_outlines.shown
    shown = _grab(w)
    differs = (plain != shown).any(axis=2)
    # the view draws on both strokes (outline + pattern) and nowhere else
    near = np.zeros_like(differs)
    for m in (brushed, erased):
        box = _screen_box(w, m)
        assert differs[box].sum() > 0.2 * m.sum() * w.canvas.scale
        near[box] = True
    assert not differs[~near].any()
    key(qtbot, w, Qt.Key.Key_M)
    assert not w.canvas.edit_outlines.shown
    assert np.array_equal(_grab(w), plain)

    # an eraser drag in progress previews in grey, not in the object's (red) colour
    assert tuple(obj.color) == (230, 25, 75)
    key(qtbot, w, Qt.Key.Key_E)
    a, b = at(w, 175, 120), at(w, 205, 120)
    qtbot.mousePress(w.canvas, Qt.MouseButton.LeftButton, pos=a)
    mid = QPoint((a.x() + b.x()) // 2, a.y())
    qtbot.mouseMove(w.canvas, mid)
    qtbot.mouseMove(w.canvas, b)
    during = _grab(w)
    before_px = plain[mid.y(), mid.x()].astype(int)
    during_px = during[mid.y(), mid.x()].astype(int)
    assert not np.array_equal(before_px, during_px)  # the preview is drawn ...
    # ... as a grey veil: darker and less saturated (a red preview would saturate it)
    assert (during_px <= before_px).all()
    assert np.ptp(during_px) < np.ptp(before_px)
    assert during_px[0] - during_px[1] < before_px[0] - before_px[1]  # no red added
    qtbot.mouseRelease(w.canvas, Qt.MouseButton.LeftButton, pos=b)

    # the brush previews in the object's colour (red here) over the blue background
    key(qtbot, w, Qt.Key.Key_B)
    a, b = at(w, 95, 215), at(w, 125, 215)
    qtbot.mousePress(w.canvas, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(w.canvas, b)
    px = _grab(w)[a.y(), (a.x() + b.x()) // 2].astype(int)
    qtbot.mouseRelease(w.canvas, Qt.MouseButton.LeftButton, pos=b)
    assert px[0] > px[2] + 20, px
