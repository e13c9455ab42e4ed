"""Round-brush strokes as a window of pixels (for ``PaintMask``).

Geometry (continuous image coordinates, the canvas's): pixel ``(row r, col c)`` covers
``[c, c+1) × [r, r+1)`` and its centre is ``(c + 0.5, r + 0.5)``. A stroke through
sample points ``(x, y)`` (x = column, y = row) with ``radius`` paints every pixel whose
centre lies within ``radius`` of the polyline joining the samples, plus the pixel under
each sample (so a tiny brush still paints where the user clicked).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from dis_annotator.annotation.geometry import EMPTY_RECT, Rect


def _segment_hits(
    ax: float, ay: float, bx: float, by: float, radius: float, rect: Rect
) -> tuple[Rect, np.ndarray] | None:
    """Pixels of ``rect`` within ``radius`` of segment a→b, on the segment's own window."""
    x0 = max(rect.x0, math.floor(min(ax, bx) - radius - 0.5))
    y0 = max(rect.y0, math.floor(min(ay, by) - radius - 0.5))
    x1 = min(rect.x1, math.ceil(max(ax, bx) + radius + 0.5))
    y1 = min(rect.y1, math.ceil(max(ay, by) + radius + 0.5))
    if x1 <= x0 or y1 <= y0:
        return None
    cx = np.arange(x0, x1, dtype=np.float64)[None, :] + 0.5
    cy = np.arange(y0, y1, dtype=np.float64)[:, None] + 0.5
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    if len2 > 0:
        t = np.clip(((cx - ax) * dx + (cy - ay) * dy) / len2, 0.0, 1.0)
        px, py = ax + t * dx, ay + t * dy
    else:
        px, py = ax, ay
    ex, ey = cx - px, cy - py
    hit = ex * ex + ey * ey <= radius * radius
    return Rect(x0, y0, x1, y1), hit


def stroke_mask(
    shape: tuple[int, int], points: Sequence[tuple[float, float]], radius: float
) -> tuple[Rect, np.ndarray]:
    """The pixels a round brush of ``radius`` paints along ``points`` in an H×W image.

    Returns ``(bbox, window)``: ``bbox`` = ``Rect(x0, y0, x1, y1)`` clipped to the image
    (x1/y1 exclusive) and ``window`` its H'×W' bool pixels; ``(EMPTY_RECT, 0×0)`` when the
    stroke misses the image. Pass the pair to ``PaintMask`` as its region.
    """
    h, w = int(shape[0]), int(shape[1])
    radius = max(0.0, float(radius))
    pts = [(float(x), float(y)) for x, y in points]
    if not pts or not all(math.isfinite(v) for p in pts for v in p):
        return EMPTY_RECT, np.zeros((0, 0), dtype=bool)
    image = Rect(0, 0, w, h)
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    bx0 = max(0, math.floor(min(xs) - radius - 0.5))
    by0 = max(0, math.floor(min(ys) - radius - 0.5))
    bx1 = min(w, math.ceil(max(xs) + radius + 0.5))
    by1 = min(h, math.ceil(max(ys) + radius + 0.5))
    if bx1 <= bx0 or by1 <= by0:
        return EMPTY_RECT, np.zeros((0, 0), dtype=bool)
    out = np.zeros((by1 - by0, bx1 - bx0), dtype=bool)
    segments = list(zip(pts[:-1], pts[1:], strict=True)) if len(pts) > 1 else [(pts[0], pts[0])]
    for (ax, ay), (bx, by) in segments:
        got = _segment_hits(ax, ay, bx, by, radius, image)
        if got is not None:
            r, hit = got
            out[r.y0 - by0 : r.y1 - by0, r.x0 - bx0 : r.x1 - bx0] |= hit
    for x, y in pts:
        c, r = math.floor(x), math.floor(y)
        if 0 <= c < w and 0 <= r < h:
            out[r - by0, c - bx0] = True
    if not out.any():
        return EMPTY_RECT, np.zeros((0, 0), dtype=bool)
    rows = np.flatnonzero(out.any(axis=1))
    cols = np.flatnonzero(out.any(axis=0))
    tight = Rect(bx0 + int(cols[0]), by0 + int(rows[0]), bx0 + int(cols[-1]) + 1, by0 + int(rows[-1]) + 1)
    return tight, out[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].copy()
