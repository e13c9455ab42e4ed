"""The region around a click whose colours are nearer the click's own than the far surround's.

The corrector's colour flood (``colour_flood.flood``) grows from the click's pixel while
colours stay within a tolerance of it. In texture (soil, foliage, fur, gravel) the next
speck of another shade stops it, so the region is a few pixels wide however large the
error is, and GrabCut in the window never learns what the click means (a click in a
pot's missed soil added 8 px). Here each pixel near the click is judged by its nearest
colour instead: nearer to one of the colours right around the click than to any colour
of the far surround on the same side of the mask. Texture then joins the click's region
when its shades recur around the click and not far away.

Why and what else was measured: docs/adr/0163-texture-aware-click-region.md.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial import cKDTree


def similar_region(
    rgb: np.ndarray,
    centre: tuple[int, int],
    allowed: np.ndarray,
    patch_radius: float = 4.0,
    zone: float = 1.5,
    samples: int = 600,
    min_depth: float = 4.0,
) -> np.ndarray:
    """Pixels of ``allowed`` (H×W bool) connected to ``centre`` (x, y) whose colour is
    nearer to the click's than to the far surround's; H×W bool, empty when the click is
    too close to the other side to tell.

    ``D`` is the centre's distance to the nearest pixel outside ``allowed``. The click's
    colours are those of ``allowed`` within ``patch_radius`` of the centre; the far
    surround's are (up to ``samples``, a fixed draw) those of ``allowed`` beyond
    ``zone·D``; only pixels within ``zone·D`` are judged. Colours are 8-bit Lab of the
    3×3-smoothed ``rgb`` (H×W×3 uint8), compared by Euclidean distance.
    """
    h, w = allowed.shape
    cx, cy = centre
    out = np.zeros((h, w), bool)
    if not allowed[cy, cx]:
        return out
    depth = cv2.distanceTransform(np.pad(allowed, 1).astype(np.uint8), cv2.DIST_L2, 3)
    d = float(depth[cy + 1, cx + 1])
    if d < min_depth:
        return out
    yy, xx = np.ogrid[0:h, 0:w]
    r2 = (xx - cx) ** 2 + (yy - cy) ** 2
    own = allowed & (r2 <= patch_radius * patch_radius)
    near = allowed & (r2 <= (zone * d) ** 2)
    far = allowed & ~near
    if np.count_nonzero(own) < 5 or np.count_nonzero(far) < 50:
        return out
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (3, 3), 0), cv2.COLOR_RGB2LAB).astype(np.float32)
    far_colours = lab[far]
    if len(far_colours) > samples:
        pick = np.random.default_rng(0).choice(len(far_colours), samples, replace=False)
        far_colours = far_colours[pick]
    judged = lab[near]
    to_own, _ = cKDTree(lab[own]).query(judged, k=1)
    to_far, _ = cKDTree(far_colours).query(judged, k=1)
    like = np.zeros((h, w), bool)
    like[near] = to_own < to_far
    like |= own
    _, parts = cv2.connectedComponents(like.astype(np.uint8), connectivity=8)
    return parts == parts[cy, cx]
