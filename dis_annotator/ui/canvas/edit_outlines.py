"""The "Show manual edits" view: each object's painted and erased pixels, outlined.

What the user locked must be visible whatever the object's colour and the zoom, so the
two styles are neutral and drawn as vector paths with cosmetic pens (screen-pixel
widths): **painted** — a solid white line on a dark halo over a sparse white dot
pattern; **erased** — a black/white dashed line over a grey diagonal hatch (the style of
the eraser's stroke preview). Paths come from ``cv2.findContours`` on the layers'
window (pixel centres, so a path runs through the boundary pixels) and are rebuilt only
when the object's layers change (``EditLayers.token``), lazily at paint time.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPolygonF

from dis_annotator.annotation.layers import EditLayers
from dis_annotator.geometry import Rect

HALO = QColor(0, 0, 0, 200)
PAINTED_LINE = QColor(255, 255, 255)
PAINTED_FILL = QColor(255, 255, 255, 150)
ERASED_DARK = QColor(20, 20, 20, 230)
ERASED_LIGHT = QColor(235, 235, 235)
ERASED_FILL = QColor(200, 200, 200, 170)


def outline_path(window: np.ndarray, x0: int, y0: int) -> QPainterPath:
    """Odd-even path of the True pixels of ``window`` (bool), placed at image ``(x0, y0)``:
    outer contours and holes, through pixel centres."""
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.OddEvenFill)
    if not window.any():
        return path
    contours, _ = cv2.findContours(window.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    for c in contours:
        pts = c.reshape(-1, 2) + (x0 + 0.5, y0 + 0.5)
        if len(pts) == 1:  # a single pixel: a tiny square, so it still shows
            x, y = pts[0]
            path.addRect(x - 0.5, y - 0.5, 1.0, 1.0)
            continue
        poly = QPolygonF([QPointF(float(x), float(y)) for x, y in pts])
        poly.append(poly.first())
        path.addPolygon(poly)
    return path


@dataclass
class _Paths:
    token: int
    rect: Rect
    painted: QPainterPath
    erased: QPainterPath


def _paths(edits: EditLayers) -> _Paths:
    rect, painted, erased, _ = edits.planes()
    x0, y0 = int(rect.x0), int(rect.y0)
    return _Paths(edits.token, rect, outline_path(painted, x0, y0), outline_path(erased, x0, y0))


def _pen(color: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style, Qt.PenCapStyle.FlatCap, Qt.PenJoinStyle.MiterJoin)
    pen.setCosmetic(True)  # width in screen pixels, whatever the zoom
    return pen


class EditOutlines:
    """Per object: its edit layers (tracked by reference) and their cached paths."""

    def __init__(self) -> None:
        self.shown = False
        self._edits: dict[str, tuple[EditLayers, bool]] = {}
        self._paths: dict[str, _Paths] = {}

    def clear(self) -> None:
        self._edits.clear()
        self._paths.clear()

    def track(self, obj_id: str, edits: EditLayers, visible: bool) -> Rect | None:
        """Follow ``edits`` (the object's live layers); returns the image rectangle to
        repaint when the view shows them (old and new outlines)."""
        old = self._paths.get(obj_id)
        prev = self._edits.get(obj_id)
        self._edits[obj_id] = (edits, visible)
        if prev is not None and prev[0] is edits and prev[1] == visible and old is not None and old.token == edits.token:
            return None
        return self._dirty(old.rect if old else None, edits.rect)

    def remove(self, obj_id: str) -> Rect | None:
        got = self._edits.pop(obj_id, None)
        old = self._paths.pop(obj_id, None)
        return self._dirty(old.rect if old else None, got[0].rect if got else None)

    def _dirty(self, a: Rect | None, b: Rect | None) -> Rect | None:
        if not self.shown:
            return None
        rects = [r for r in (a, b) if r is not None and not r.empty]
        if not rects:
            return None
        out = rects[0]
        for r in rects[1:]:
            out = out.union(r)
        return out

    def bounds(self) -> Rect | None:
        """Everything the view would draw (to repaint when it is toggled)."""
        out: Rect | None = None
        for edits, _ in self._edits.values():
            if edits:
                out = edits.rect if out is None else out.union(edits.rect)
        return out

    def paint(self, painter: QPainter, exposed: Rect) -> None:
        """Draw with ``painter`` mapping image pixels to the screen."""
        if not self.shown:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for obj_id, (edits, visible) in self._edits.items():
            if not visible or not edits or not edits.rect.intersects(exposed):
                continue
            cached = self._paths.get(obj_id)
            if cached is None or cached.token != edits.token:
                cached = self._paths[obj_id] = _paths(edits)
            self._paint_one(painter, cached)
        painter.restore()

    @staticmethod
    def _paint_one(painter: QPainter, p: _Paths) -> None:
        scale = painter.transform().m11() or 1.0
        if not p.erased.isEmpty():
            brush = QBrush(ERASED_FILL, Qt.BrushStyle.BDiagPattern)
            brush.setTransform(brush.transform().scale(1 / scale, 1 / scale))  # hatch in screen px
            painter.fillPath(p.erased, brush)
            painter.strokePath(p.erased, _pen(ERASED_DARK, 3.0))
            painter.strokePath(p.erased, _pen(ERASED_LIGHT, 1.5, Qt.PenStyle.DashLine))
        if not p.painted.isEmpty():
            brush = QBrush(PAINTED_FILL, Qt.BrushStyle.Dense7Pattern)
            brush.setTransform(brush.transform().scale(1 / scale, 1 / scale))
            painter.fillPath(p.painted, brush)
            painter.strokePath(p.painted, _pen(HALO, 3.5))
            painter.strokePath(p.painted, _pen(PAINTED_LINE, 1.5))
