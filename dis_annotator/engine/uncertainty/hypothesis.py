"""A second, independent segmentation of the same box: where it disagrees with the mask,
the mask is in doubt (docs/adr/0153).

The colour evidence (``sources``) is fitted on the mask itself, so a background region
the stage took in (a leak: the ground under an animal, the wall behind a statue) trains
the "inside" model and then confirms itself. Leaks have a tell that colour does not:
the box is drawn around the object, which meets each side of the box at a few extreme
points, while a leak runs *along* a side. The second hypothesis therefore re-cuts the
box with the mask as a soft start (GrabCut's "probable" labels) and the stretches of the
mask that run along a box side as known background, on a coarse grid and in RGB (the
stage cuts in Lab): what flips is what the mask's own colours cannot defend.

All arrays are on the estimator's working grid: H×W bool unless said otherwise.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from dis_annotator.geometry import bbox_of

# Working pixels the re-cut runs on: ~0.1 s; the disagreement it finds is region-sized.
MAX_PIXELS = 30_000
ITERATIONS = 2
# A box side "is run along" when the mask fills more than this share of the strip's
# length; the strip is this share of the box's longer side deep (≥ 2 px).
MIN_CONTACT = 0.3
STRIP_DEPTH = 0.02
CLICK_SEED_PX = 2  # radius of the hard seed a click gives the re-cut (coarse grid)


def contact_strips(mask: np.ndarray, inside: np.ndarray, depth: float = STRIP_DEPTH,
                   min_contact: float = MIN_CONTACT) -> np.ndarray:
    """The mask's pixels within ``depth`` × the box's longer side of each box side along
    which the mask runs for more than ``min_contact`` of the side's length."""
    out = np.zeros(mask.shape, bool)
    ext = bbox_of(inside)
    if ext is None:
        return out
    c0, r0, c1, r1 = ext
    s = max(2, round(depth * max(r1 - r0, c1 - c0)))
    sides = (
        (slice(r0, min(r1, r0 + s)), slice(c0, c1), 0),  # top: coverage along columns
        (slice(max(r0, r1 - s), r1), slice(c0, c1), 0),  # bottom
        (slice(r0, r1), slice(c0, min(c1, c0 + s)), 1),  # left: coverage along rows
        (slice(r0, r1), slice(max(c0, c1 - s), c1), 1),  # right
    )
    for rows, cols, along in sides:
        strip = mask[rows, cols]
        if strip.size and strip.any(axis=along).mean() > min_contact:
            out[rows, cols] |= strip
    return out


def recut_disagreement(rgb: np.ndarray, mask: np.ndarray, inside: np.ndarray,
                       clicks: list[tuple[tuple[int, int], bool]] = (),  # type: ignore[assignment]
                       max_pixels: int = MAX_PIXELS) -> np.ndarray | None:
    """Pixels of the box where the re-cut (see the module's docstring) disagrees with
    ``mask``, or None when it cannot run (no box, one side empty). ``rgb``: H×W×3 uint8;
    ``clicks``: ``((col, row), positive)`` on the same grid, hard seeds of the re-cut."""
    h, w = mask.shape
    if not inside.any() or not (mask & inside).any() or (mask | ~inside).all():
        return None
    scale = min(1.0, math.sqrt(max_pixels / float(h * w)))
    sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
    small = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    m = _nearest(mask, sh, sw)
    box = _nearest(inside, sh, sw)
    labels = np.full((sh, sw), cv2.GC_BGD, np.uint8)
    labels[box] = cv2.GC_PR_BGD
    labels[box & m] = cv2.GC_PR_FGD
    labels[contact_strips(m, box)] = cv2.GC_BGD
    for (c, r), positive in clicks:
        cv2.circle(labels, (round(c * sw / w), round(r * sh / h)), CLICK_SEED_PX,
                   int(cv2.GC_FGD if positive else cv2.GC_BGD), -1)
    fg_any = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    if not fg_any.any() or fg_any.all():
        return None
    bgd = np.zeros((1, 65), np.float64)
    fgd = np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)  # GrabCut's k-means start is random: same input, same doubt
    try:
        cv2.grabCut(np.ascontiguousarray(small), labels, None, bgd, fgd, ITERATIONS,
                    cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return None  # one side too uniform for a GMM
    hyp = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    # Only region-sized disagreement counts: a part one or two coarse pixels wide is a
    # wire or hair the coarse grid cannot resolve (the colour evidence, read finer,
    # speaks for those), or a boundary nudged by a pixel.
    flip = cv2.morphologyEx((hyp ^ m).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    if scale < 1:
        flip = cv2.resize(flip, (w, h), interpolation=cv2.INTER_NEAREST)
    return (flip > 0) & inside


def _nearest(a: np.ndarray, h: int, w: int) -> np.ndarray:
    if a.shape == (h, w):
        return a.astype(bool)
    return cv2.resize(a.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
