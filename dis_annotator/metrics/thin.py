"""Thin parts of a truth mask, and how much of them a mask keeps.

The shared benchmarks score whole objects, where a lost cat's tail or a ram's horn moves
IoU by a point or two; a dichotomous tool exists for exactly those parts (wires, spokes,
stems, hair). A truth pixel belongs to a thin part when it is farther than
``half_width`` px from every pixel deeper than ``half_width`` inside the object: it lies
in a part at most about ``2·half_width`` px wide, not in the rim of a thick one.
Engine-free, like ``noc.py``.
"""

from __future__ import annotations

import cv2
import numpy as np

HALF_WIDTH = 4  # px: parts up to ~8 px wide are thin
MIN_THIN_PX = 200  # objects with fewer thin pixels say little about thin parts


def thin_parts(fg: np.ndarray, half_width: int = HALF_WIDTH) -> np.ndarray:
    """H×W bool: the pixels of ``fg`` (H×W bool) in parts at most ~``2·half_width`` wide."""
    depth = cv2.distanceTransform(np.pad(fg, 1).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
    core = (depth > half_width).astype(np.uint8)
    reach = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * half_width + 1, 2 * half_width + 1))
    return fg & ~cv2.dilate(core, reach).astype(bool)


def thin_recall(pred: np.ndarray, thin: np.ndarray, valid: np.ndarray | None = None) -> float:
    """Share of the (valid) ``thin`` pixels that ``pred`` holds; NaN when there are none."""
    t = thin if valid is None else thin & valid
    n = int(np.count_nonzero(t))
    return float("nan") if n == 0 else int(np.count_nonzero(pred & t)) / n
