"""Canvas pieces on their own: gesture state machines, overlay caching, zoom/pan, settings."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QKeySequence

from dis_annotator.engine.types import Box, Point
from dis_annotator.ui.canvas.overlay import OverlayRenderer, edge_of
from dis_annotator.ui.canvas.tools import LEFT, RIGHT, BrushTool, PointerEvent, PromptTool
from dis_annotator.ui.settings import Settings


class Recorder:
    def __init__(self) -> None:
        self.events: list = []

    def box_drawn(self, box: Box) -> None:
        self.events.append(box)

    def point_clicked(self, point: Point) -> None:
        self.events.append(point)

    def stroke_finished(self, points, radius, erase) -> None:
        self.events.append(("stroke", list(points), radius, erase))


def ev(x, y, button=LEFT, shift=False, scale=2.0):
    return PointerEvent(x, y, x * scale, y * scale, button, shift, scale)


def test_prompt_tool_tells_clicks_from_drags():
    r = Recorder()
    t = PromptTool(r)
    t.press(ev(10, 10))
    t.move(ev(11, 10))  # 2 screen px: still a click
    assert t.preview() is None
    t.release(ev(11, 10))
    assert r.events == [Point(10, 10, True)]
    t.press(ev(10, 10, shift=True))
    t.release(ev(10, 10))
    t.press(ev(5, 5, button=RIGHT))
    t.move(ev(40, 40, button=RIGHT))  # a right-drag is still a background click
    t.release(ev(40, 40, button=RIGHT))
    assert r.events[1:] == [Point(10, 10, False), Point(5, 5, False)]
    t.press(ev(30, 20))
    t.move(ev(10, 50))
    assert t.preview().box == Box(10, 20, 30, 50)
    t.release(ev(10, 50))
    assert r.events[-1] == Box(10, 20, 30, 50)


def test_escape_cancels_the_gesture():
    r = Recorder()
    t = PromptTool(r)
    t.press(ev(0, 0))
    t.move(ev(50, 50))
    assert t.cancel() is True
    t.release(ev(50, 50))
    assert r.events == [] and t.cancel() is False
    b = BrushTool(r, radius=3)
    b.press(ev(1, 1))
    b.move(ev(4, 1))
    assert b.cancel() is True
    b.release(ev(4, 1))
    assert r.events == []


def test_brush_tool_reports_the_stroke():
    r = Recorder()
    b = BrushTool(r, erase=True, radius=4)
    b.press(ev(1, 2))
    b.move(ev(1, 2))  # duplicates are dropped
    b.move(ev(3, 4))
    b.release(ev(5, 6))
    assert r.events == [("stroke", [(1, 2), (3, 4), (5, 6)], 4, True)]
    assert b.name == "eraser"


def _layer_pixels(ov: OverlayRenderer, obj_id: str, shape) -> tuple[np.ndarray, np.ndarray]:
    """The layer's fill/edge buffers pasted into full-size arrays (for comparisons)."""
    layer = ov.layers[obj_id]
    fill = np.zeros((*shape, 4), np.uint8)
    edge = np.zeros((*shape, 4), np.uint8)
    x0, y0, x1, y1 = layer.rect
    fill[y0:y1, x0:x1] = layer.fill
    edge[y0:y1, x0:x1] = layer.edge
    return fill, edge


def test_overlay_region_update_equals_full_rebuild():
    rng = np.random.default_rng(0)
    mask = np.zeros((120, 160), bool)
    mask[20:100, 30:140] = rng.random((80, 110)) > 0.3
    a, b = OverlayRenderer(), OverlayRenderer()
    a.set_mask("o", mask, (200, 40, 60))
    edited = mask.copy()
    edited[40:60, 50:90] = ~edited[40:60, 50:90]
    dirty = a.set_mask("o", edited, (200, 40, 60), region=(50, 40, 90, 60))
    b.set_mask("o", edited, (200, 40, 60))
    assert dirty[0] <= 50 and dirty[2] >= 90
    fa, ea = _layer_pixels(a, "o", mask.shape)
    fb, eb = _layer_pixels(b, "o", mask.shape)
    assert np.array_equal(fa, fb) and np.array_equal(ea, eb)
    # BGRA, premultiplied, opaque where the mask is: the colour of the object.
    assert tuple(fb[mask.nonzero()[0][0], mask.nonzero()[1][0]]) == (60, 40, 200, 255)
    assert np.array_equal(ea[..., 3] > 0, edge_of(edited))


def test_large_masks_are_built_in_the_background_with_the_same_pixels(qtbot):
    rng = np.random.default_rng(1)
    mask = np.zeros((1500, 2000), bool)  # 3 MP: above the background threshold
    mask[200:1300, 300:1800] = rng.random((1100, 1500)) > 0.2
    bg, fg = OverlayRenderer(), OverlayRenderer()
    fg.async_pixels = 10**9
    landed = []
    bg.changed.connect(landed.append)
    assert bg.set_mask("o", mask, (10, 20, 30)) is None and bg.busy()
    mask[:] = False  # the document edits in place: the build must use its own copy
    qtbot.waitUntil(lambda: not bg.busy(), timeout=10000)
    mask[200:1300, 300:1800] = np.random.default_rng(1).random((1100, 1500)) > 0.2
    fg.set_mask("o", mask, (10, 20, 30))
    assert landed == [fg.layers["o"].rect]
    assert np.array_equal(bg.layers["o"].fill, fg.layers["o"].fill)
    assert np.array_equal(bg.layers["o"].edge, fg.layers["o"].edge)
    # A newer update supersedes a build still in flight; removal voids it.
    bg.set_mask("o", mask, (10, 20, 30))
    bg.remove("o")
    qtbot.wait(300)
    assert "o" not in bg.layers and not bg.busy()


def test_overlay_caches_only_the_bounding_box_and_grows():
    ov = OverlayRenderer()
    ov.async_pixels = 10**9
    mask = np.zeros((4000, 6000), bool)
    mask[100:200, 300:500] = True
    ov.set_mask("o", mask, (0, 130, 200))
    assert ov.layers["o"].rect == (300, 100, 500, 200)
    assert ov.layers["o"].fill.nbytes == 200 * 100 * 4
    mask[150:260, 450:520] = True  # grows outside the cached box: rebuilt bigger
    ov.set_mask("o", mask, (0, 130, 200), region=(450, 150, 520, 260))
    assert ov.layers["o"].rect == (300, 100, 520, 260)
    mask[:] = False
    assert ov.set_mask("o", mask, (0, 130, 200)) is not None and "o" not in ov.layers


@pytest.mark.gui
def test_zoom_keeps_the_pixel_under_the_cursor_and_fit_and_100(qtbot, make_window, images):
    w = make_window()
    w.open_path(images[0])
    c = w.canvas
    anchor = QPointF(300, 200)
    before = c.to_image(anchor)
    c.zoom_at(anchor, 2.5)
    after = c.to_image(anchor)
    assert abs(before.x() - after.x()) < 1e-6 and abs(before.y() - after.y()) < 1e-6
    qtbot.keyClick(c, Qt.Key.Key_1)
    assert c.scale == pytest.approx(1.0)
    qtbot.keyClick(c, Qt.Key.Key_F)
    assert c.scale * 400 <= c.width() and c.scale * 300 <= c.height()
    # Middle-drag pans by exactly the mouse motion.
    off = c.offset
    qtbot.mousePress(c, Qt.MouseButton.MiddleButton, pos=QPoint(100, 100))
    qtbot.mouseMove(c, QPoint(130, 90))
    qtbot.mouseRelease(c, Qt.MouseButton.MiddleButton, pos=QPoint(130, 90))
    assert (c.offset.x() - off.x(), c.offset.y() - off.y()) == (30, -10)
    # Tab hides the overlay, O switches to outlines.
    qtbot.keyClick(c, Qt.Key.Key_Tab)
    assert c.overlay.shown is False
    qtbot.keyClick(c, Qt.Key.Key_O)
    assert c.overlay.outline_only is True and w.outline_box.isChecked()
    w.opacity.setValue(70)
    assert c.overlay.opacity == pytest.approx(0.7)


def test_shortcuts_are_remappable(tmp_path):
    s = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert [k.toString() for k in s.shortcuts("redo")] == ["Ctrl+Shift+Z", "Ctrl+Y"]
    s.set_shortcuts("brush", ["Ctrl+B"])
    again = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert again.shortcuts("brush") == [QKeySequence("Ctrl+B")]
    with pytest.raises(KeyError):
        s.set_shortcuts("nope", ["X"])
    s.engine = "classical"
    assert again.engine == "classical"
    with pytest.raises(ValueError):
        s.engine = "magic"


def test_default_shortcuts_never_clash():
    from dis_annotator.ui.settings import DEFAULT_SHORTCUTS

    owner: dict[str, str] = {}
    for name, (_, keys) in DEFAULT_SHORTCUTS.items():
        for k in keys:
            text = QKeySequence(k).toString()
            assert text not in owner, f"{text} is both {owner[text]} and {name}"
            owner[text] = name
    assert owner["M"] == "toggle_edits"


def test_show_manual_edits_is_remappable(tmp_path):
    s = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert s.shortcuts("toggle_edits") == [QKeySequence("M")]
    s.set_shortcuts("toggle_edits", ["Ctrl+Alt+M"])
    s.set_shortcuts("clear_edits", ["Shift+M"])
    assert s.shortcuts("toggle_edits") == [QKeySequence("Ctrl+Alt+M")]
    assert s.shortcuts("clear_edits") == [QKeySequence("Shift+M")]


@pytest.mark.gui
def test_remapped_shortcut_drives_the_window(qtbot, make_window, images, tmp_path):
    w = make_window()
    w.settings.set_shortcuts("brush", ["Ctrl+B"])
    w.actions.apply_shortcuts(w.settings)
    w.open_path(images[0])
    qtbot.keyClick(w.canvas, Qt.Key.Key_B)
    assert w.canvas.tool.name == "prompt"
    qtbot.keyClick(w.canvas, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert w.canvas.tool.name == "brush"


@pytest.mark.gui
def test_unreadable_image_is_a_message_not_a_crash(qtbot, make_window, images, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    (images[0].parent / "broken.png").write_bytes(b"not a png")
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    w = make_window()
    w.open_path(images[0])
    good = w.session.index
    idx = w.session.images.index(images[0].parent / "broken.png")
    assert w.show_index(idx) is False
    assert shown and "broken.png" in shown[0]
    # Still on the good image, still usable.
    assert w.session.index == good and w.controller.doc.image_path == images[0]
    assert w.show_index(good + 1) is True


@pytest.mark.gui
def test_wheel_zooms_at_the_cursor_and_space_drag_pans(qtbot, make_window, images):
    from PySide6.QtCore import QPoint as P
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    w = make_window()
    w.open_path(images[0])
    c = w.canvas
    pos = QPointF(250, 180)
    before_px = c.to_image(pos)
    scale = c.scale
    wheel = QWheelEvent(pos, c.mapToGlobal(pos), P(0, 0), P(0, 240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(c, wheel)
    assert c.scale > scale
    after_px = c.to_image(pos)
    assert abs(after_px.x() - before_px.x()) < 1e-6 and abs(after_px.y() - before_px.y()) < 1e-6

    off = c.offset
    qtbot.keyPress(c, Qt.Key.Key_Space)
    qtbot.mousePress(c, Qt.MouseButton.LeftButton, pos=P(200, 200))
    qtbot.mouseMove(c, P(240, 230))
    qtbot.mouseRelease(c, Qt.MouseButton.LeftButton, pos=P(240, 230))
    qtbot.keyRelease(c, Qt.Key.Key_Space)
    assert (c.offset.x() - off.x(), c.offset.y() - off.y()) == (40, 30)
    assert len(w.controller.doc) == 0  # panning drew no box
