"""Structure measure S_α (Fan et al. 2017), α = 0.5: object- plus region-aware similarity."""

from __future__ import annotations

import numpy as np

from dis_annotator.metrics.prepare import EPS, prepare

ALPHA = 0.5


def s_measure(pred: np.ndarray, gt: np.ndarray, alpha: float = ALPHA) -> float:
    """S_α in [0, 1] (``pred`` H×W uint8 min-max normalised, ``gt`` at ``> 128``)."""
    p, g = prepare(pred, gt)
    return _sm(p, g, alpha)


def _sm(p: np.ndarray, g: np.ndarray, alpha: float) -> float:
    y = g.mean()
    if y == 0:
        return float(1 - p.mean())
    if y == 1:
        return float(p.mean())
    score = alpha * _object(p, g) + (1 - alpha) * _region(p, g)
    return float(max(0.0, score))


def _s_object(x: np.ndarray) -> float:
    mean = x.mean()
    # ddof=1 as MATLAB's std; a single pixel has no spread (the toolbox would give NaN).
    std = x.std(ddof=1) if x.size > 1 else 0.0
    return 2 * mean / (mean * mean + 1 + std + EPS)


def _object(p: np.ndarray, g: np.ndarray) -> float:
    u = g.mean()
    return _s_object(p[g]) * u + _s_object(1 - p[~g]) * (1 - u)


def _region(p: np.ndarray, g: np.ndarray) -> float:
    h, w = g.shape
    area = h * w
    cy, cx = np.argwhere(g).mean(axis=0).round()
    # +1 follows the MATLAB code (1-based ``1:X`` includes X) — split after the centroid.
    cy, cx = int(cy) + 1, int(cx) + 1
    w_lt = cx * cy / area
    w_rt = cy * (w - cx) / area
    w_lb = (h - cy) * cx / area
    w_rb = 1 - w_lt - w_rt - w_lb
    return (
        _ssim(p[:cy, :cx], g[:cy, :cx]) * w_lt
        + _ssim(p[:cy, cx:], g[:cy, cx:]) * w_rt
        + _ssim(p[cy:, :cx], g[cy:, :cx]) * w_lb
        + _ssim(p[cy:, cx:], g[cy:, cx:]) * w_rb
    )


def _ssim(p: np.ndarray, g: np.ndarray) -> float:
    n = p.size
    if n == 0:
        return 0.0  # an empty quadrant has weight 0; the toolbox would give NaN here
    x = p.mean()
    y = g.mean()
    dof = max(n - 1, 1)
    dx = p - x
    dy = g - y
    sigma_x = np.sum(dx * dx) / dof
    sigma_y = np.sum(dy * dy) / dof
    sigma_xy = np.sum(dx * dy) / dof
    a = 4 * x * y * sigma_xy
    b = (x * x + y * y) * (sigma_x + sigma_y)
    if a != 0:
        return a / (b + EPS)
    if b == 0:
        return 1.0
    return 0.0
