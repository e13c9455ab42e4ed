"""Mixed pixels just outside a mask's edge: the ones that are mostly object join it.

A pixel on an object's outline holds part object, part background. People who trace
masks count it as object when it looks more like the object than like what is behind
it; on Berkeley, 32 % of the wrong pixels left after 5 clicks are missed object within
1.5 px of the true outline. Each pixel of the mask's outer ring gets an alpha from the
colours around it: its position between the local mean of the mask's edge pixels (1)
and the local mean of the pixels just beyond the ring (0), projected on the line
between them in Lab. Why and what else was measured: docs/adr/0166-mixed-pixels-join-the-object.md.
"""

from __future__ import annotations

import cv2
import numpy as np

WINDOW = 7  # px: the neighbourhood whose edge colours a ring pixel is compared with
TILE = 256  # px
MIN_CONTRAST = 25.0  # squared Lab distance between the two means below which alpha is not read
_K3 = np.ones((3, 3), np.uint8)


def _window_mean(lab: np.ndarray, sel: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel mean Lab colour of the ``sel`` pixels in a ``window``² box, and their count."""
    w = sel.astype(np.float32)
    count = cv2.boxFilter(w, -1, (window, window), normalize=False)
    sums = np.stack([cv2.boxFilter(lab[..., c] * w, -1, (window, window), normalize=False)
                     for c in range(3)], -1)
    return sums / np.maximum(count, 1e-6)[..., None], count


def mixed_pixels(rgb: np.ndarray, mask: np.ndarray, threshold: float = 0.4,
                 window: int = WINDOW, tile: int = TILE) -> np.ndarray:
    """The pixels of ``mask``'s outer ring (8-neighbours outside it) whose local alpha is
    above ``threshold``: H×W bool. ``rgb``: H×W×3 uint8; ``mask``: H×W bool.

    Alpha is read only where the ring pixel has both edge and beyond pixels in its window
    and their means differ (flat colour says nothing about mixing). The work runs in
    ``tile``-px tiles the ring passes through: at 24 MP the outline is a small share."""
    m8 = mask.astype(np.uint8)
    ring = (cv2.dilate(m8, _K3) > 0) & ~mask
    out = np.zeros_like(ring)
    h, w = ring.shape
    pad = window // 2 + 3  # the window, and the 5×5 "beyond" ring around the 3×3 one
    for y in range(0, h, tile):
        for x in range(0, w, tile):
            if not ring[y : y + tile, x : x + tile].any():
                continue
            y0, x0 = max(0, y - pad), max(0, x - pad)
            y1, x1 = min(h, y + tile + pad), min(w, x + tile + pad)
            part = _mixed_in(rgb[y0:y1, x0:x1], mask[y0:y1, x0:x1], ring[y0:y1, x0:x1],
                             threshold, window)
            out[y : y + tile, x : x + tile] = part[y - y0 : y - y0 + tile, x - x0 : x - x0 + tile]
    return out


def _mixed_in(rgb: np.ndarray, mask: np.ndarray, ring: np.ndarray, threshold: float,
              window: int) -> np.ndarray:
    m8 = mask.astype(np.uint8)
    edge = mask & ~(cv2.erode(m8, _K3, borderType=cv2.BORDER_REPLICATE) > 0)
    beyond = (cv2.dilate(m8, np.ones((5, 5), np.uint8)) > 0) & ~mask & ~ring
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    fg, n_fg = _window_mean(lab, edge, window)
    bg, n_bg = _window_mean(lab, beyond, window)
    span = fg - bg
    contrast = (span * span).sum(-1)
    alpha = ((lab - bg) * span).sum(-1) / np.maximum(contrast, 1e-6)
    readable = ring & (n_fg > 0) & (n_bg > 0) & (contrast > MIN_CONTRAST)
    return readable & (alpha > threshold)
