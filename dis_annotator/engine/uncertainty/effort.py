"""Estimated corrections left, HCE-like (IS-Net / DIS5K paper, Alg. 1).

HCE counts what a person does to fix a mask against its truth: one click per error
region that a region selection fixes, polygon points along the parts of an error's
boundary that must be traced, thin errors forgiven unless they follow a thin part of
the object. Here the truth is unknown, so the likely truth — the mask with its band
flipped — stands in for it, and HCE itself is computed against it (the project's
``metrics.hce``, so the estimate and the metric cannot drift apart). Averaging over a
few band thresholds turns it into an expectation (a float), smoother than one cut.
"""

from __future__ import annotations

import numpy as np

from dis_annotator.metrics.hce import hce_parts
from dis_annotator.metrics.skeleton import gt_skeleton

THRESHOLDS = (0.5,)
RELAX_PX = 5  # HCE's γ, in full-resolution pixels
EPSILON_PX = 2.0  # HCE's Douglas–Peucker ε, in full-resolution pixels


def hce_against_band(mask: np.ndarray, uncertainty: np.ndarray, threshold: float, scale: float,
                     skeleton: np.ndarray | None = None) -> int:
    """HCE of ``mask`` against ``mask`` XOR (``uncertainty`` ≥ ``threshold``), with γ and ε
    scaled to the working grid. ``skeleton``: of the likely truth (computed when None)."""
    flip = uncertainty >= threshold
    if not flip.any():
        return 0
    likely = mask ^ flip
    relax = max(1, round(RELAX_PX * scale))
    eps = max(1.0, EPSILON_PX * scale)
    pred = mask.astype(np.uint8) * 255
    gt = likely.astype(np.uint8) * 255
    skel = gt_skeleton(likely) if skeleton is None else skeleton & likely
    return hce_parts(pred, gt, skel, relax, eps).total


def effort(mask: np.ndarray, uncertainty: np.ndarray, scale: float) -> float:
    """Expected corrections left: the mean over ``THRESHOLDS`` of the HCE against the
    likely truth. 0 when nothing is uncertain. The likely truth's skeleton (the slow
    part) is taken once, at the widest band; the narrower bands use its part inside
    their likely truth."""
    flip = uncertainty >= THRESHOLDS[0]
    if not flip.any():
        return 0.0
    skeleton = gt_skeleton(mask ^ flip)
    return float(np.mean([hce_against_band(mask, uncertainty, t, scale, skeleton) for t in THRESHOLDS]))


def expected_loss(mask: np.ndarray, uncertainty: np.ndarray) -> float:
    """Expected 1 − IoU of ``mask`` against the truth when each pixel's label is wrong with
    probability ``uncertainty`` / 2 (the map's scale, docs/adr/0150): 1 − E[∩] / E[∪].

    Unlike :func:`effort` it does not grow with the object's size or outline, so it ranks
    objects by how wrong their masks are (docs/adr/0153)."""
    p = np.clip(uncertainty, 0.0, 1.0) * 0.5
    inter = float((1.0 - p[mask]).sum())
    union = float(mask.sum()) + float(p[~mask].sum())
    return 0.0 if union <= 0 else 1.0 - inter / union
