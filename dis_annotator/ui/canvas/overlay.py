"""Mask overlay rendering: colour fill at an opacity, or outline only.

Each object gets a cached layer covering only its bounding box: a premultiplied BGRA
fill buffer and an edge buffer, both wrapped (not copied) by ``QImage``. An edit
re-renders only the changed region of the buffers; the opacity slider changes only the
painter's opacity, so nothing is rebuilt. An 8K image with a small object costs a few
MB, not 4 × 48 MB.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage, QPainter

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), image pixels

SELECTED_EDGE = (255, 255, 255)


def _bbox(mask: np.ndarray) -> Rect | None:
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def _union(a: Rect | None, b: Rect | None) -> Rect | None:
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _contains(outer: Rect, inner: Rect) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


def edge_of(mask: np.ndarray) -> np.ndarray:
    """Pixels of ``mask`` (H×W bool) with a 4-neighbour outside it; outside the array counts as outside."""
    m = mask.astype(np.uint8)
    eroded = cv2.erode(m, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return mask & (eroded == 0)


def _argb(color: tuple[int, int, int]) -> np.uint32:
    r, g, b = (int(c) for c in color)
    return np.uint32((255 << 24) | (r << 16) | (g << 8) | b)


def _to_image(buf: np.ndarray) -> QImage:
    h, w = buf.shape[:2]
    return QImage(buf.data, w, h, w * 4, QImage.Format.Format_ARGB32_Premultiplied)


@dataclass
class Layer:
    rect: Rect
    color: tuple[int, int, int]
    fill: np.ndarray  # h×w×4 uint8 BGRA premultiplied
    edge: np.ndarray
    fill_img: QImage
    edge_img: QImage
    visible: bool = True


class OverlayRenderer:
    """Caches one layer per object and paints the visible ones."""

    def __init__(self) -> None:
        self.layers: dict[str, Layer] = {}
        self.previews: dict[str, Layer] = {}
        self.opacity = 0.45
        self.outline_only = False
        self.shown = True
        self.selected: str | None = None
        self._shape: tuple[int, int] = (0, 0)

    def clear(self, shape: tuple[int, int] = (0, 0)) -> None:
        self.layers.clear()
        self.previews.clear()
        self._shape = shape

    # --- building ------------------------------------------------------------------
    def _render(self, layer: Layer, mask: np.ndarray, sub: Rect, selected: bool) -> None:
        """Re-render ``sub`` (image coordinates, inside ``layer.rect``) from ``mask``."""
        x0, y0, x1, y1 = sub
        h, w = mask.shape
        # Edges need one pixel of context around the region.
        px0, py0, px1, py1 = max(0, x0 - 1), max(0, y0 - 1), min(w, x1 + 1), min(h, y1 + 1)
        padded = mask[py0:py1, px0:px1]
        region = padded[y0 - py0 : y0 - py0 + (y1 - y0), x0 - px0 : x0 - px0 + (x1 - x0)]
        edge = edge_of(padded)[y0 - py0 : y0 - py0 + (y1 - y0), x0 - px0 : x0 - px0 + (x1 - x0)]
        lx0, ly0 = x0 - layer.rect[0], y0 - layer.rect[1]
        sl = (slice(ly0, ly0 + (y1 - y0)), slice(lx0, lx0 + (x1 - x0)))
        # One uint32 per pixel (0xAARRGGBB in native order = BGRA bytes): a multiply
        # writes the whole region at once, ~50x faster than boolean fancy indexing.
        fill = layer.fill.view(np.uint32)[..., 0]
        out = layer.edge.view(np.uint32)[..., 0]
        np.multiply(region, _argb(layer.color), out=fill[sl], casting="unsafe")
        np.multiply(edge, _argb(SELECTED_EDGE if selected else layer.color), out=out[sl], casting="unsafe")

    def _new_layer(self, rect: Rect, color: tuple[int, int, int], visible: bool) -> Layer:
        w, h = rect[2] - rect[0], rect[3] - rect[1]
        fill = np.zeros((h, w, 4), np.uint8)
        edge = np.zeros((h, w, 4), np.uint8)
        return Layer(rect, color, fill, edge, _to_image(fill), _to_image(edge), visible)

    def _update(
        self,
        store: dict[str, Layer],
        obj_id: str,
        mask: np.ndarray,
        color: tuple[int, int, int],
        visible: bool,
        region: Rect | None,
    ) -> Rect | None:
        self._shape = mask.shape
        old = store.get(obj_id)
        selected = obj_id == self.selected
        if old is not None and region is not None and old.color == tuple(color):
            h, w = mask.shape
            region = (max(0, region[0]), max(0, region[1]), min(w, region[2]), min(h, region[3]))
            if region[0] >= region[2] or region[1] >= region[3]:
                return None
            if _contains(old.rect, region):
                # A changed pixel also changes whether its neighbours are edge pixels.
                r = old.rect
                ring = (max(r[0], region[0] - 1), max(r[1], region[1] - 1),
                        min(r[2], region[2] + 1), min(r[3], region[3] + 1))
                self._render(old, mask, ring, selected)
                old.visible = visible
                # Edges of the neighbours of the region may have changed too.
                return (region[0] - 1, region[1] - 1, region[2] + 1, region[3] + 1)
        box = _bbox(mask)
        dirty = _union(old.rect if old is not None else None, box)
        if box is None:
            store.pop(obj_id, None)
            return dirty
        layer = self._new_layer(box, tuple(color), visible)
        self._render(layer, mask, box, selected)
        store[obj_id] = layer
        return dirty

    def set_mask(
        self,
        obj_id: str,
        mask: np.ndarray,
        color: tuple[int, int, int],
        visible: bool = True,
        region: Rect | None = None,
    ) -> Rect | None:
        """Update an object's layer; ``region`` limits the work to what changed.

        Returns the image rectangle that needs repainting (None: nothing changed).
        """
        dirty = self._update(self.layers, obj_id, mask, color, visible, region)
        preview = self.previews.pop(obj_id, None)
        return _union(dirty, preview.rect if preview else None)

    def set_preview(self, obj_id: str, mask: np.ndarray | None, color: tuple[int, int, int]) -> Rect | None:
        """Show ``mask`` in place of the object's own (coarse result); None removes it."""
        old = self.previews.get(obj_id)
        if mask is None:
            self.previews.pop(obj_id, None)
            return old.rect if old else None
        return _union(old.rect if old else None, self._update(self.previews, obj_id, mask, color, True, None))

    def remove(self, obj_id: str) -> Rect | None:
        a = self.layers.pop(obj_id, None)
        b = self.previews.pop(obj_id, None)
        return _union(a.rect if a else None, b.rect if b else None)

    def set_visible(self, obj_id: str, visible: bool) -> Rect | None:
        layer = self.layers.get(obj_id)
        if layer is None or layer.visible == visible:
            return None
        layer.visible = visible
        return layer.rect

    def bounds(self, obj_id: str) -> Rect | None:
        layer = self.layers.get(obj_id)
        return layer.rect if layer else None

    # --- painting ------------------------------------------------------------------
    def paint(self, painter: QPainter, exposed: Rect) -> None:
        """Paint with ``painter`` already mapping image pixels to the screen."""
        if not self.shown:
            return
        ids = list(self.layers) + [k for k in self.previews if k not in self.layers]
        for obj_id in ids:
            layer = self.previews.get(obj_id) or self.layers[obj_id]
            if not layer.visible or not _intersects(layer.rect, exposed):
                continue
            origin = QPointF(layer.rect[0], layer.rect[1])
            if not self.outline_only and self.opacity > 0:
                painter.setOpacity(self.opacity)
                painter.drawImage(origin, layer.fill_img)
            painter.setOpacity(1.0)
            painter.drawImage(origin, layer.edge_img)
        painter.setOpacity(1.0)


def _intersects(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
