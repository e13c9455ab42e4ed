"""Weighted F-measure (Margolin et al. 2014), β = 1, as in the authors' MATLAB code.

Errors are spread by a 7×7 Gaussian (σ = 5) so that errors next to correct pixels cost
less (pixel dependency) and false positives far from the object cost more (pixel
importance, ``2 − exp(log(0.5)/5 · dist)``).
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import distance_transform_edt

from dis_annotator.metrics.prepare import EPS, prepare


def matlab_gaussian(size: int = 7, sigma: float = 5.0) -> np.ndarray:
    """``fspecial('gaussian', size, sigma)``: (size, size) float64 summing to 1."""
    half = (size - 1) / 2
    y, x = np.ogrid[-half : half + 1, -half : half + 1]
    h = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    h[h < np.finfo(h.dtype).eps * h.max()] = 0
    return h / h.sum()


def weighted_fmeasure(pred: np.ndarray, gt: np.ndarray, beta: float = 1.0) -> float:
    """F^w_β in [0, 1]; 0 for an all-background GT (toolbox convention)."""
    p, g = prepare(pred, gt)
    if not g.any():
        return 0.0
    return _wfm(p, g, beta)


def _wfm(p: np.ndarray, g: np.ndarray, beta: float) -> float:
    # Distance from each background pixel to the nearest GT pixel, and which one it is.
    dist, (iy, ix) = distance_transform_edt(~g, return_indices=True)
    err = np.abs(p - g)
    spread = err.copy()
    bg = ~g
    # Background errors take the error of their nearest GT pixel (MATLAB: Et(IDXT)).
    spread[bg] = err[iy[bg], ix[bg]]
    # Symmetric kernel: correlation (filter2D) equals convolution; zero padding as imfilter.
    blurred = cv2.filter2D(
        spread, cv2.CV_64F, matlab_gaussian(), borderType=cv2.BORDER_CONSTANT
    )
    dep = np.where(g & (blurred < err), blurred, err)
    importance = np.where(bg, 2 - np.exp(np.log(0.5) / 5 * dist), 1.0)
    ew = dep * importance
    ew_fg = ew[g]
    tpw = np.count_nonzero(g) - ew_fg.sum()
    fpw = ew[bg].sum()
    recall = 1 - ew_fg.mean()
    precision = tpw / (tpw + fpw + EPS)
    return float((1 + beta) * recall * precision / (recall + beta * precision + EPS))
