"""Coarse-to-fine: re-cut only a band around a coarse GrabCut boundary at a finer scale.

GrabCut's cost grows faster than its pixel count (colour-model fitting every iteration
and a max-flow over the whole grid), so the box stage fits its colour models and finds
the object at a coarse working scale, then makes one more cut at the fine scale in which
everything farther than a few coarse pixels from the coarse boundary is fixed and the
colour models are frozen (OpenCV's ``GC_EVAL_FREEZE_MODEL``). The fine cut costs about
what its band costs; the boundary comes back at the fine scale. docs/adr/0103.
"""

from __future__ import annotations

import cv2
import numpy as np

# Half-width of the re-cut band in coarse pixels: the coarse boundary is uncertain by
# about one coarse pixel, plus room for the fine cut to move it.
BAND_COARSE_PX = 2.0


def band_labels(coarse: np.ndarray, fine_shape: tuple[int, int], inside: np.ndarray,
                ratio: float) -> np.ndarray:
    """cv2.GC_* labels at ``fine_shape`` (H×W): fixed away from the coarse boundary,
    "probably" (as the coarse mask says) within ``BAND_COARSE_PX`` coarse pixels of it.

    ``coarse``: coarse bool mask; ``inside``: fine bool box mask (outside stays fixed
    background); ``ratio``: fine pixels per coarse pixel (> 1).
    """
    h, w = fine_shape
    up = cv2.resize(coarse.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) > 0.5
    r = max(1, int(round(BAND_COARSE_PX * ratio)))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    u8 = up.view(np.uint8)
    band = cv2.dilate(u8, k).astype(bool) & ~cv2.erode(u8, k).astype(bool)
    labels = np.where(up, cv2.GC_FGD, cv2.GC_BGD).astype(np.uint8)
    labels[band & up] = cv2.GC_PR_FGD
    labels[band & ~up] = cv2.GC_PR_BGD
    labels[~inside] = cv2.GC_BGD
    return labels


def recut(feat: np.ndarray, labels: np.ndarray, models: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """One graph cut on ``feat`` (H×W×3 uint8, the features the models were fitted on)
    with the colour models frozen; ``labels`` is updated in place. H×W bool."""
    pr = (labels == cv2.GC_PR_FGD) | (labels == cv2.GC_PR_BGD)
    if pr.any():
        bgd, fgd = (m.copy() for m in models)
        try:
            cv2.grabCut(feat, labels, None, bgd, fgd, 1, cv2.GC_EVAL_FREEZE_MODEL)
        except cv2.error:
            pass  # degenerate models: keep the coarse decision
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
