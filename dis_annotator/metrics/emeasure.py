"""Enhanced-alignment measure curve over 256 thresholds (Fan et al. 2018).

With a binary prediction only four (pred, gt) value pairs exist, so the enhanced
alignment matrix has four distinct values; the sum over pixels is their weighted sum,
computed for all thresholds at once from cumulative histograms.
"""

from __future__ import annotations

import numpy as np

from dis_annotator.metrics.prepare import EPS, counts_at_thresholds, prepare, to_levels


def emeasure_curve(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(256,) float64: E_φ at thresholds ``pred >= t/255`` for ``t = 0 … 255`` (ascending)."""
    p, g = prepare(pred, gt)
    return _curve(to_levels(p), g)


def _enhanced(a: float | np.ndarray, b: float | np.ndarray) -> float | np.ndarray:
    align = 2 * a * b / (a * a + b * b + EPS)
    return (align + 1) ** 2 / 4


def _curve(levels: np.ndarray, g: np.ndarray) -> np.ndarray:
    size = g.size
    gt_fg = int(np.count_nonzero(g))
    tp, fp = counts_at_thresholds(levels, g)
    pred_fg = tp + fp
    pred_bg = size - pred_fg
    if gt_fg == 0:
        total = pred_bg.astype(np.float64)
    elif gt_fg == size:
        total = pred_fg.astype(np.float64)
    else:
        fn = gt_fg - tp
        tn = pred_bg - fn
        mean_pred = pred_fg / size
        mean_gt = gt_fg / size
        total = (
            _enhanced(1 - mean_pred, 1 - mean_gt) * tp
            + _enhanced(1 - mean_pred, -mean_gt) * fp
            + _enhanced(-mean_pred, 1 - mean_gt) * fn
            + _enhanced(-mean_pred, -mean_gt) * tn
        )
    return total / (size - 1 + EPS)
