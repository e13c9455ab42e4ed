"""The canvas widget: shows the image, zooms and pans, forwards gestures to a tool.

Rendering is tiled: the image is cut into 1024² tiles per pyramid level (full, ½, ¼ …),
turned into ``QPixmap`` lazily the first time they are seen, and a paint event draws
only the tiles that intersect the exposed rectangle, from the coarsest level that
still has at least one image pixel per screen pixel. An 8000×6000 photo therefore
never goes through one giant scaled blit, and an overlay edit repaints only its rect.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPaintEvent,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from dis_annotator.engine.types import Box, Point
from dis_annotator.geometry import Rect
from dis_annotator.ui.canvas.busy import BusyMarks
from dis_annotator.ui.canvas.edit_outlines import ERASED_DARK, ERASED_LIGHT, EditOutlines
from dis_annotator.ui.canvas.overlay import OverlayRenderer
from dis_annotator.ui.canvas.tools import (
    LEFT,
    MIDDLE,
    RIGHT,
    BoxPreview,
    PointerEvent,
    PromptTool,
    StrokePreview,
    Tool,
    preview_bounds,
)
from dis_annotator.ui.canvas.uncertainty_view import UncertaintyView

TILE = 1024
MIN_SCALE, MAX_SCALE = 1 / 64, 64.0
_BUTTONS = {Qt.MouseButton.LeftButton: LEFT, Qt.MouseButton.RightButton: RIGHT, Qt.MouseButton.MiddleButton: MIDDLE}
_CURSORS = {"cross": Qt.CursorShape.CrossCursor, "brush": Qt.CursorShape.BlankCursor, "arrow": Qt.CursorShape.ArrowCursor}


def pyramid_levels(rgb: np.ndarray) -> list[np.ndarray]:
    """``rgb`` (H×W×3 uint8) and its halvings down to ≤ 512 px; Qt-free, any thread."""
    levels = [np.ascontiguousarray(rgb)]
    img = levels[0]
    while max(img.shape[:2]) > TILE // 2:
        img = cv2.resize(img, (max(1, img.shape[1] // 2), max(1, img.shape[0] // 2)), interpolation=cv2.INTER_AREA)
        levels.append(img)
    return levels


class TilePyramid:
    """Lazily built ``QPixmap`` tiles of an H×W×3 uint8 image at power-of-two levels."""

    def __init__(self, rgb: np.ndarray, levels: list[np.ndarray] | None = None) -> None:
        self.levels: list[np.ndarray] = levels if levels is not None else pyramid_levels(rgb)
        self._tiles: dict[tuple[int, int, int], QPixmap] = {}

    @property
    def height(self) -> int:
        return int(self.levels[0].shape[0])

    @property
    def width(self) -> int:
        return int(self.levels[0].shape[1])

    def level_for(self, scale: float) -> int:
        """Coarsest level whose pixels are still no larger than a screen pixel."""
        if scale >= 1:
            return 0
        return max(0, min(len(self.levels) - 1, int(math.floor(math.log2(1 / scale)))))

    def tile(self, level: int, tx: int, ty: int) -> QPixmap:
        key = (level, tx, ty)
        pix = self._tiles.get(key)
        if pix is None:
            arr = np.ascontiguousarray(self.levels[level][ty * TILE : (ty + 1) * TILE, tx * TILE : (tx + 1) * TILE])
            h, w = arr.shape[:2]
            qimg = QImage(arr.data, w, h, w * 3, QImage.Format.Format_RGB888)
            pix = QPixmap.fromImage(qimg)  # copies, so ``arr`` may go
            self._tiles[key] = pix
        return pix


class _SignalListener:
    """Tools call this; it re-emits their intents as the view's Qt signals."""

    def __init__(self, view: CanvasView) -> None:
        self.view = view

    def box_drawn(self, box: Box) -> None:
        self.view.box_drawn.emit(box)

    def point_clicked(self, point: Point) -> None:
        self.view.point_clicked.emit(point)

    def stroke_finished(self, points: list[tuple[float, float]], radius: float, erase: bool) -> None:
        self.view.stroke_finished.emit(list(points), float(radius), bool(erase))


class CanvasView(QWidget):
    """Image canvas. Signals carry image-pixel coordinates (x = column, y = row)."""

    box_drawn = Signal(object)  # Box
    point_clicked = Signal(object)  # Point
    stroke_finished = Signal(list, float, bool)  # [(x, y)], radius, erase
    cursor_moved = Signal(float, float)
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(200, 150)
        self.pyramid: TilePyramid | None = None
        self.overlay = OverlayRenderer()
        self.overlay.changed.connect(self.update_image_rect)
        self.edit_outlines = EditOutlines()
        self.busy = BusyMarks()
        self._spin = QTimer(self)
        self._spin.setInterval(90)
        self._spin.timeout.connect(self._spin_step)
        self.uncertainty = UncertaintyView()
        # the brush previews in the selected object's colour; the eraser never does
        self.stroke_color: tuple[int, int, int] = (80, 200, 255)
        self.scale = 1.0
        self.offset = QPointF(0, 0)
        self.listener = _SignalListener(self)
        self.tool: Tool = PromptTool(self.listener)
        self.points: list[Point] = []  # clicks of the selected object, drawn as dots
        self.background = QColor(38, 40, 44)
        self._pan_from: QPointF | None = None
        self._space = False
        self._hover: QPointF | None = None
        self._last_preview: tuple[float, float, float, float] | None = None
        self._fitted = True

    # --- image ---------------------------------------------------------------------
    def set_image(self, rgb: np.ndarray | None, levels: list[np.ndarray] | None = None) -> None:
        """Show ``rgb``; ``levels`` = :func:`pyramid_levels` of it when already computed."""
        self.pyramid = TilePyramid(rgb, levels) if rgb is not None else None
        self.overlay.clear(rgb.shape[:2] if rgb is not None else (0, 0))
        self.edit_outlines.clear()
        self.busy.clear()
        self._spin.stop()
        self.uncertainty.set(None)
        self.points = []
        self.tool.cancel()
        self.fit()

    def set_tool(self, tool: Tool) -> None:
        self.tool.cancel()
        self.tool = tool
        self.setCursor(_CURSORS.get(tool.cursor, Qt.CursorShape.ArrowCursor))
        self.update()

    # --- coordinates -----------------------------------------------------------------
    def to_image(self, pos: QPointF) -> QPointF:
        return QPointF((pos.x() - self.offset.x()) / self.scale, (pos.y() - self.offset.y()) / self.scale)

    def to_screen(self, x: float, y: float) -> QPointF:
        return QPointF(x * self.scale + self.offset.x(), y * self.scale + self.offset.y())

    def screen_rect(self, rect: tuple[float, float, float, float]) -> QRect:
        a = self.to_screen(rect[0], rect[1])
        b = self.to_screen(rect[2], rect[3])
        return QRectF(a, b).normalized().toAlignedRect().adjusted(-2, -2, 2, 2)

    def update_image_rect(self, rect: Rect | tuple[float, float, float, float] | None) -> None:
        """Repaint only the screen area showing image rectangle ``rect``."""
        if rect is not None:
            self.update(self.screen_rect(rect))

    # --- busy marks -------------------------------------------------------------------
    def busy_changed(self) -> None:
        """Marks or the notice changed: repaint, and animate while something runs."""
        if self.busy.marks and not self._spin.isActive():
            self._spin.start()
        elif not self.busy.marks:
            self._spin.stop()
        self.update()

    def _spin_step(self) -> None:
        self.busy.angle = (self.busy.angle + 30) % 360
        for r in self.busy.regions(self.to_screen, self.fontMetrics()):
            self.update(r)

    # --- zoom / pan ------------------------------------------------------------------
    def fit(self) -> None:
        self._fitted = True
        if self.pyramid is None or self.width() < 2:
            self.update()
            return
        s = min(self.width() / self.pyramid.width, self.height() / self.pyramid.height) * 0.98
        self._set_scale(s, None)
        self.offset = QPointF(
            (self.width() - self.pyramid.width * self.scale) / 2,
            (self.height() - self.pyramid.height * self.scale) / 2,
        )
        self.update()

    def zoom_100(self) -> None:
        center = QPointF(self.width() / 2, self.height() / 2)
        self.zoom_at(center, 1.0 / self.scale)

    def zoom_at(self, anchor: QPointF, factor: float) -> None:
        """Multiply the zoom by ``factor`` keeping the image pixel under ``anchor`` fixed."""
        before = self.to_image(anchor)
        self._set_scale(self.scale * factor, None)
        self.offset = QPointF(anchor.x() - before.x() * self.scale, anchor.y() - before.y() * self.scale)
        self._fitted = False
        self.update()

    def _set_scale(self, s: float, _anchor: QPointF | None) -> None:
        self.scale = min(MAX_SCALE, max(MIN_SCALE, s))
        self.zoom_changed.emit(self.scale)

    def pan_by(self, dx: float, dy: float) -> None:
        self.offset = QPointF(self.offset.x() + dx, self.offset.y() + dy)
        self._fitted = False
        self.scroll(int(round(dx)), int(round(dy))) if abs(dx) + abs(dy) < 64 else self.update()

    # --- events ----------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fitted:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            self.zoom_at(event.position(), 1.0015 ** delta)
        event.accept()

    def _pointer(self, event: QMouseEvent, button: str) -> PointerEvent:
        p = event.position()
        ip = self.to_image(p)
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        return PointerEvent(ip.x(), ip.y(), p.x(), p.y(), button, shift, self.scale)

    def _inside(self, pe: PointerEvent) -> bool:
        return self.pyramid is not None and 0 <= pe.x < self.pyramid.width and 0 <= pe.y < self.pyramid.height

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        button = _BUTTONS.get(event.button())
        if button == MIDDLE or (button == LEFT and self._space):
            self._pan_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if button is None or self.pyramid is None:
            return
        pe = self._pointer(event, button)
        if self._inside(pe) or isinstance(self.tool, PromptTool) and button == LEFT:
            self.tool.press(pe)
            self._refresh_preview()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            d = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by(d.x(), d.y())
            return
        pe = self._pointer(event, LEFT)
        old_hover = self._hover
        self._hover = event.position()
        self.cursor_moved.emit(pe.x, pe.y)
        self.tool.move(pe)
        self._refresh_preview()
        if self.tool.cursor == "brush":
            r = getattr(self.tool, "radius", 0) * self.scale + 3
            for h in (old_hover, self._hover):
                if h is not None:
                    self.update(QRectF(h.x() - r, h.y() - r, 2 * r, 2 * r).toAlignedRect())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None and _BUTTONS.get(event.button()) in (MIDDLE, LEFT):
            self._pan_from = None
            self.setCursor(_CURSORS.get(self.tool.cursor, Qt.CursorShape.ArrowCursor))
            return
        button = _BUTTONS.get(event.button())
        if button is None:
            return
        pe = self._pointer(event, button)
        if self.pyramid is not None:
            pe = PointerEvent(
                min(max(pe.x, 0.0), self.pyramid.width - 1e-3), min(max(pe.y, 0.0), self.pyramid.height - 1e-3),
                pe.sx, pe.sy, pe.button, pe.shift, pe.scale,
            )
        self.tool.release(pe)
        self._refresh_preview()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.setCursor(_CURSORS.get(self.tool.cursor, Qt.CursorShape.ArrowCursor))
            return
        super().keyReleaseEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def cancel_gesture(self) -> bool:
        had = self.tool.cancel()
        self._refresh_preview()
        return had

    def _refresh_preview(self) -> None:
        bounds = preview_bounds(self.tool.preview())
        for b in (self._last_preview, bounds):
            if b is not None:
                self.update(self.screen_rect(b).adjusted(-4, -4, 4, 4))
        self._last_preview = bounds

    # --- painting ----------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        try:
            self._paint(painter, event.rect())
        finally:
            painter.end()

    def _paint(self, painter: QPainter, exposed: QRect) -> None:
        painter.fillRect(exposed, self.background)
        if self.pyramid is None:
            painter.setPen(QColor(150, 150, 155))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Open an image or a folder (Ctrl+O / Ctrl+Shift+O)")
            return
        a = self.to_image(QPointF(exposed.left(), exposed.top()))
        b = self.to_image(QPointF(exposed.right() + 1, exposed.bottom() + 1))
        ix0, iy0 = max(0, int(a.x())), max(0, int(a.y()))
        ix1 = min(self.pyramid.width, int(math.ceil(b.x())) + 1)
        iy1 = min(self.pyramid.height, int(math.ceil(b.y())) + 1)
        if ix0 < ix1 and iy0 < iy1:
            self._paint_tiles(painter, ix0, iy0, ix1, iy1)
            painter.save()
            painter.translate(self.offset)
            painter.scale(self.scale, self.scale)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            self.overlay.paint(painter, (ix0, iy0, ix1, iy1))
            self.edit_outlines.paint(painter, Rect(ix0, iy0, ix1, iy1))
            self.uncertainty.paint_band(painter)
            painter.restore()
        self._paint_points(painter)
        self.busy.paint(painter, self.to_screen, self.rect())
        self.uncertainty.paint_marker(painter, self.to_screen)
        self._paint_preview(painter)

    def _paint_tiles(self, painter: QPainter, ix0: int, iy0: int, ix1: int, iy1: int) -> None:
        pyr = self.pyramid
        assert pyr is not None
        level = pyr.level_for(self.scale)
        f = 2**level
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.scale < 1)
        lx0, ly0, lx1, ly1 = ix0 // f, iy0 // f, -(-ix1 // f), -(-iy1 // f)
        lh, lw = pyr.levels[level].shape[:2]
        for ty in range(ly0 // TILE, min(lh - 1, ly1) // TILE + 1):
            for tx in range(lx0 // TILE, min(lw - 1, lx1) // TILE + 1):
                pix = pyr.tile(level, tx, ty)
                x, y = tx * TILE * f, ty * TILE * f
                # Level pixels may not divide the full size evenly: map tile edges exactly.
                x_end = pyr.width if (tx + 1) * TILE >= lw else (tx + 1) * TILE * f
                y_end = pyr.height if (ty + 1) * TILE >= lh else (ty + 1) * TILE * f
                target = QRectF(self.to_screen(x, y), self.to_screen(x_end, y_end))
                painter.drawPixmap(target, pix, QRectF(pix.rect()))

    def _paint_stroke(self, painter: QPainter, preview: StrokePreview) -> None:
        """Brush: the object's colour. Eraser: neutral — a dark veil with a dashed rim, the
        style of erased pixels in the "Show manual edits" view — so erasing never looks
        like painting (the first palette colour is a red)."""
        line = QPainterPath(self.to_screen(preview.points[0][0] + 0.5, preview.points[0][1] + 0.5))
        for x, y in preview.points[1:]:
            line.lineTo(self.to_screen(x + 0.5, y + 0.5))
        stroker = QPainterPathStroker()
        stroker.setWidth(max(1.0, 2 * preview.radius * self.scale))
        stroker.setCapStyle(Qt.PenCapStyle.RoundCap)
        stroker.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        shape = stroker.createStroke(line).simplified()
        if preview.erase:
            painter.fillPath(shape, QColor(25, 25, 25, 120))
            painter.strokePath(shape, QPen(ERASED_DARK, 2.5))
            painter.strokePath(shape, QPen(ERASED_LIGHT, 1.2, Qt.PenStyle.DashLine))
        else:
            painter.fillPath(shape, QColor(*self.stroke_color, 150))

    def _paint_points(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for p in self.points:
            c = self.to_screen(p.x + 0.5, p.y + 0.5)
            painter.setPen(QPen(QColor(255, 255, 255), 1.5))
            painter.setBrush(QColor(46, 204, 113) if p.positive else QColor(231, 76, 60))
            painter.drawEllipse(c, 5, 5)

    def _paint_preview(self, painter: QPainter) -> None:
        preview = self.tool.preview()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if isinstance(preview, BoxPreview):
            b = preview.box
            r = QRectF(self.to_screen(b.x0, b.y0), self.to_screen(b.x1, b.y1))
            painter.setBrush(QColor(80, 160, 255, 40))
            painter.setPen(QPen(QColor(0, 0, 0, 160), 3))
            painter.drawRect(r)
            painter.setPen(QPen(QColor(120, 190, 255), 1.5, Qt.PenStyle.DashLine))
            painter.drawRect(r)
        elif isinstance(preview, StrokePreview) and preview.points:
            self._paint_stroke(painter, preview)
        if self.tool.cursor == "brush" and self._hover is not None:
            r = getattr(self.tool, "radius", 0) * self.scale
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(0, 0, 0, 180), 3))
            painter.drawEllipse(self._hover, r, r)
            painter.setPen(QPen(QColor(255, 255, 255), 1.2))
            painter.drawEllipse(self._hover, r, r)
