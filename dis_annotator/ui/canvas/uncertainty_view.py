"""The "Show uncertainty" view (U): the selected object's uncertain band, tinted, and the
suggested next click as a marker with a hint (docs/adr/0152).

The band is drawn from the estimator's working-grid map, stretched over its window with
smooth scaling — never a full-resolution float image — so it costs what a thumbnail
costs at any photo size. The tint's opacity follows the uncertainty (0.5 → faint,
1 → strong); below 0.5 nothing is drawn, so the tint is the band the evaluation scores.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen

BAND = 0.5
TINT = (255, 170, 0)  # amber: distinct from the palette's object colours and from red/green clicks
MARKER = QColor(255, 200, 40)


def band_image(work: np.ndarray) -> QImage:
    """RGBA (premultiplied) QImage of the band of an h×w float map in [0, 1]."""
    u = np.clip(work, 0.0, 1.0)
    alpha = np.where(u >= BAND, 70.0 + 130.0 * (u - BAND) / (1.0 - BAND), 0.0).astype(np.uint8)
    rgba = np.zeros((*u.shape, 4), np.uint8)
    a = alpha.astype(np.uint16)
    for c, v in enumerate(TINT):
        rgba[..., c] = (a * v // 255).astype(np.uint8)
    rgba[..., 3] = alpha
    h, w = u.shape
    img = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888_Premultiplied)
    return img.copy()  # own the pixels: the numpy buffer goes away


class UncertaintyView:
    """What the canvas paints for ``shown``: set with :meth:`set` (an engine ``Uncertainty``
    or None), painted in image coordinates (band) and screen coordinates (marker)."""

    def __init__(self) -> None:
        self.shown = False
        self.uncertainty = None
        self.hint = ""
        self._image: QImage | None = None
        self._rect: QRectF | None = None

    def set(self, uncertainty, hint: str = "") -> None:  # noqa: ANN001 - engine type, Qt-free
        self.uncertainty = uncertainty
        self.hint = hint
        self._image = None
        self._rect = None
        if uncertainty is not None:
            roi = uncertainty.roi
            self._image = band_image(uncertainty.work)
            self._rect = QRectF(roi.x0, roi.y0, roi.x1 - roi.x0, roi.y1 - roi.y0)

    @property
    def suggestion(self) -> tuple[float, float] | None:
        u = self.uncertainty
        return None if u is None else u.suggested_click

    def bounds(self) -> tuple[float, float, float, float] | None:
        if self._rect is None:
            return None
        r = self._rect
        return (r.left(), r.top(), r.right(), r.bottom())

    def paint_band(self, painter: QPainter) -> None:
        """Under the image transform (image pixels)."""
        if not self.shown or self._image is None or self._rect is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(self._rect, self._image)
        painter.restore()

    def paint_marker(self, painter: QPainter, to_screen: Callable[[float, float], QPointF]) -> None:
        """In screen coordinates: a ring at the suggested click and the hint beside it."""
        if not self.shown or self.suggestion is None:
            return
        x, y = self.suggestion
        c = to_screen(x, y)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(0, 0, 0, 200), 4))
        painter.drawEllipse(c, 9, 9)
        painter.setPen(QPen(MARKER, 2))
        painter.drawEllipse(c, 9, 9)
        painter.drawLine(QPointF(c.x() - 4, c.y()), QPointF(c.x() + 4, c.y()))
        painter.drawLine(QPointF(c.x(), c.y() - 4), QPointF(c.x(), c.y() + 4))
        if self.hint:
            font = QFont(painter.font())
            font.setPointSizeF(max(8.0, font.pointSizeF() * 0.9))
            painter.setFont(font)
            width = QFontMetricsF(font).horizontalAdvance(self.hint)
            at = hint_origin(c, width, painter.viewport().width())
            painter.setPen(QColor(0, 0, 0, 220))
            painter.drawText(at + QPointF(1, 1), self.hint)
            painter.setPen(MARKER)
            painter.drawText(at, self.hint)
        painter.restore()


def hint_origin(marker: QPointF, text_width: float, view_width: float) -> QPointF:
    """Where the hint's baseline starts: right of the marker, or left of it when the text
    would run off the view's right edge (a suggestion near that edge)."""
    if marker.x() + 14 + text_width <= view_width:
        return QPointF(marker.x() + 14, marker.y() + 5)
    return QPointF(max(2.0, marker.x() - 14 - text_width), marker.y() + 5)
