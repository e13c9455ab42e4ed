"""The coherent colour region a click sits in: a flood through similar colours.

The corrector seeds its window's cut with it (docs/adr/0105) and bounds an over-large
background removal by it (docs/adr/0168); ``similar_region`` joins texture to it.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import binary_fill_holes

_DISC5 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))


def flood(rgb: np.ndarray, centre: tuple[int, int], allowed: np.ndarray, tol: float) -> np.ndarray:
    """Pixels of ``allowed`` (H×W bool) connected to ``centre`` (x, y) through colours
    (5×5-smoothed Lab) within ``tol`` of the centre's: the coherent region the click sits
    in. H×W bool."""
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (5, 5), 0), cv2.COLOR_RGB2LAB)
    return flood_lab(lab, centre, allowed, tol)


def flood_lab(lab: np.ndarray, centre: tuple[int, int], allowed: np.ndarray, tol: float) -> np.ndarray:
    """:func:`flood` on a ready 8-bit Lab image."""
    h, w = allowed.shape
    block = np.ones((h + 2, w + 2), np.uint8)
    block[1:-1, 1:-1] = ~allowed
    if block[centre[1] + 1, centre[0] + 1]:
        return np.zeros_like(allowed)
    t = (int(tol),) * 3
    flags = 4 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (2 << 8)
    cv2.floodFill(lab, block, centre, 0, t, t, flags)
    return block[1:-1, 1:-1] == 2


def solid(region: np.ndarray) -> np.ndarray:
    """``region`` with pinholes closed and holes filled (texture speckles a colour flood)."""
    closed = cv2.morphologyEx(region.astype(np.uint8), cv2.MORPH_CLOSE, _DISC5).astype(bool)
    return binary_fill_holes(closed) | region
