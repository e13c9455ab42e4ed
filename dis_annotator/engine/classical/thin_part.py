"""A foreground click on a thin part far from the mask: a stem, a spoke, a cable.

The corrector's GrabCut works in a window sized to the click's distance from the mask,
at ≤ 40 k working pixels. A click on a stem 70 px below a bush's crown gets a window of
~800 px at a third of the resolution, where a 6-px stem is two pixels blended into the
hedge behind it, and the cut added a blob of hedge (7 315 px, 1 243 of them stem). The
click's colour flood at full resolution still follows the stem. When that flood
is a long thin line far from the mask, and the window's cut took colours that also stay
background around it (it did not find a distinct part), the thin line is the change.

Why and what else was measured: docs/adr/0164-thin-part-clicks.md.
"""

from __future__ import annotations

import cv2
import numpy as np

from dis_annotator.engine.classical.colour_model import BINS, colour_bins

# A line's half-width is at least 1 px, so a click nearer the mask than this is never
# on a line "apart from the mask" (``is_thin_line``'s ``min_gap`` × 1 px).
MIN_GAP = 6.0


def is_thin_line(region: np.ndarray, scale: float, d: float, max_halfwidth: float = 5.0,
                 min_length: float = 20.0, min_gap: float = MIN_GAP) -> bool:
    """Whether ``region`` (H×W bool, solid, on a grid of ``scale`` × the image's) is a
    thin line standing apart from the mask: half-width ``r`` ≤ ``max_halfwidth`` image
    px, area ≥ ``min_length``·r² (a line ~``min_length/2`` half-widths long), and the
    click's distance ``d`` to the mask ≥ ``min_gap``·r (the mask is not simply beside it).
    """
    if not region.any():
        return False
    depth = cv2.distanceTransform(np.pad(region, 1).astype(np.uint8), cv2.DIST_L2, 3)
    r = max(float(depth.max()) / scale, 1.0)
    area = float(np.count_nonzero(region)) / (scale * scale)
    return r <= max_halfwidth and area >= min_length * r * r and d >= min_gap * r


def colour_overlap(rgb: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Bhattacharyya coefficient in [0, 1] between the Lab colour histograms of the
    pixels ``a`` and ``b`` (H×W bool) of ``rgb`` (H×W×3 uint8); 0 when either is empty.
    1 means the two hold the same colours in the same proportions."""
    na, nb = np.count_nonzero(a), np.count_nonzero(b)
    if na == 0 or nb == 0:
        return 0.0
    index = colour_bins(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB))
    ha = np.bincount(index[a], minlength=BINS**3) / na
    hb = np.bincount(index[b], minlength=BINS**3) / nb
    return float(np.sqrt(ha * hb).sum())
