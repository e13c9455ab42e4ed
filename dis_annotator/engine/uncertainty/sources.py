"""Per-source probabilities that the mask's label is wrong, on the working grid (all H×W
float32 in [0, 1]).

Each source answers "how likely is this pixel's label wrong?" from what it knows:

- ``stage_doubt``: the stage's own soft map (SAM's logits, the refiner's output, the
  classical refiner's posterior): the probability it gives the other label.
- ``click_doubt``: what a click says about its neighbourhood. The user labelled the
  click's colour there; pixels near it of that colour on the other side of the mask
  are probably wrong too (the rest of a shadow after a click removed its rim).
- ``colour_doubt``: a Bayesian reading of the photo. The prior that a label is wrong
  is 1/2 on the mask's boundary (a boundary pixel is a coin toss) and halves every
  ``half_distance`` pixels away from it (errors are near the boundary, or connected to
  it as missed wires and false wedges are); the evidence is the log-likelihood ratio of
  the pixel's colour under colour models of the mask's inside and outside (fitted away
  from the boundary). posterior = σ(logit(prior) + evidence against the label).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from dis_annotator.engine.classical.colour_model import ColourModel

# Colour evidence is capped: a histogram ratio of e^6 already means "certain"; beyond it
# only quantisation noise and empty bins speak.
MAX_EVIDENCE = 6.0
# Pixels this close to the boundary (working px) do not train the colour models.
MODEL_GAP = 2.0
MIN_SAMPLES = 32


def boundary_distance(mask: np.ndarray) -> np.ndarray:
    """Distance (working px) of each pixel to the nearest pixel of the other label: 1 on
    both sides of the boundary, growing away from it. H×W float32."""
    m = mask.astype(np.uint8)
    inside = cv2.distanceTransform(m, cv2.DIST_L2, 3)
    outside = cv2.distanceTransform(1 - m, cv2.DIST_L2, 3)
    if not m.any():
        return np.full(mask.shape, np.inf, np.float32)
    if m.all():
        return np.full(mask.shape, np.inf, np.float32)
    return np.where(mask, inside, outside).astype(np.float32)


def stage_doubt(mask: np.ndarray, soft: np.ndarray) -> np.ndarray:
    """The stage's probability for the label the mask did not take."""
    s = np.clip(soft, 0.0, 1.0)
    return np.where(mask, 1.0 - s, s).astype(np.float32)


def colour_model(rgb: np.ndarray, mask: np.ndarray, dist: np.ndarray,
                 bg_extra: np.ndarray | None = None) -> ColourModel | None:
    """Colour models of the mask's inside and outside, fitted away from its boundary, or
    None when one side has too few pixels to learn its colours. ``bg_extra``: pixels
    known to be background (outside the user's box) that also train the outside model."""
    fg = mask & (dist > MODEL_GAP)
    bg = ~mask & (dist > MODEL_GAP)
    if bg_extra is not None:
        bg |= bg_extra & ~mask
    if fg.sum() < MIN_SAMPLES:
        fg = mask
    if bg.sum() < MIN_SAMPLES:
        bg = ~mask
    if fg.sum() < MIN_SAMPLES or bg.sum() < MIN_SAMPLES:
        return None
    return ColourModel(rgb[fg], rgb[bg])


def evidence_against(model: ColourModel, rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """log p(colour | other label) − log p(colour | mask's label), H×W float32.

    Per pixel, not smoothed: averaging with the neighbours would wash out the very wires
    and hairs a person must find."""
    llr = np.clip(model.log_ratio(rgb), -MAX_EVIDENCE, MAX_EVIDENCE)
    return np.where(mask, -llr, llr).astype(np.float32)


def colour_evidence(rgb: np.ndarray, mask: np.ndarray, dist: np.ndarray,
                    bg_extra: np.ndarray | None = None) -> np.ndarray | None:
    """:func:`evidence_against` with :func:`colour_model` fitted on the same grid."""
    model = colour_model(rgb, mask, dist, bg_extra)
    return None if model is None else evidence_against(model, rgb, mask)


def max_pool_to(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``values`` on a finer grid brought to ``shape`` keeping each cell's maximum: a
    one-pixel wire stays as doubtful on the coarse grid as it was on the fine one."""
    h, w = shape
    fh, fw = values.shape
    # Coarse cell i covers fine cells [i·r, (i+1)·r); nearest sampling reads fine cell
    # floor(i·r), so each fine cell takes the maximum of the ceil(r) + 1 cells from it on.
    ky = int(np.ceil(fh / h)) + 1
    kx = int(np.ceil(fw / w)) + 1
    pooled = cv2.dilate(values, np.ones((ky, kx), np.uint8), anchor=(0, 0),
                        borderType=cv2.BORDER_REPLICATE)
    rows = np.minimum((np.arange(h) * fh) // h, fh - 1)
    cols = np.minimum((np.arange(w) * fw) // w, fw - 1)
    return pooled[np.ix_(rows, cols)]


def distance_prior(dist: np.ndarray, half_distance: float) -> np.ndarray:
    """P(label wrong) before looking at colours: 1/2 on the boundary, halving every
    ``half_distance`` px away from it."""
    d = np.maximum(dist - 1.0, 0.0)
    return (0.5 * np.exp2(-d / max(half_distance, 1e-6))).astype(np.float32)


def colour_doubt(prior: np.ndarray, evidence: np.ndarray | None) -> np.ndarray:
    """σ(logit(prior) + evidence): the posterior probability that the label is wrong."""
    if evidence is None:
        return prior
    p = np.clip(prior, 1e-6, 1 - 1e-6)
    logit = np.log(p / (1 - p)) + evidence
    return (1.0 / (1.0 + np.exp(-logit))).astype(np.float32)


def half_distance_for(shape: tuple[int, int], fraction: float) -> float:
    """The prior's half distance: ``fraction`` of the window's diagonal (≥ 1 px)."""
    return max(1.0, fraction * math.hypot(*shape))


def click_doubt(rgb: np.ndarray, mask: np.ndarray, clicks: list[tuple[tuple[int, int], bool]],
                reach: float, tol: float) -> np.ndarray:
    """H×W bool: the pixels within ``reach`` (working px) of a click, on the other side
    of the mask from the click's label, whose colour (3×3-smoothed 8-bit Lab) is within
    ``tol`` of the click's own (its 3×3 mean). ``clicks``: ``((col, row), positive)`` on
    the working grid."""
    h, w = mask.shape
    out = np.zeros((h, w), bool)
    if not clicks:
        return out
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (3, 3), 0), cv2.COLOR_RGB2LAB).astype(np.float32)
    r = int(math.ceil(reach))
    for (c, row), positive in clicks:
        if not (0 <= row < h and 0 <= c < w):
            continue
        ref = lab[max(0, row - 1):row + 2, max(0, c - 1):c + 2].reshape(-1, 3).mean(axis=0)
        y0, y1, x0, x1 = max(0, row - r), min(h, row + r + 1), max(0, c - r), min(w, c + r + 1)
        yy, xx = np.ogrid[y0:y1, x0:x1]
        near = (xx - c) ** 2 + (yy - row) ** 2 <= reach * reach
        other = ~mask[y0:y1, x0:x1] if positive else mask[y0:y1, x0:x1]
        alike = np.linalg.norm(lab[y0:y1, x0:x1] - ref, axis=2) < tol
        out[y0:y1, x0:x1] |= near & other & alike
    return out
