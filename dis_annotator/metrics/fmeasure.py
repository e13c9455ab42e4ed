"""F-measure curve over 256 thresholds (Achanta et al. 2009), β² = 0.3."""

from __future__ import annotations

import numpy as np

from dis_annotator.metrics.prepare import counts_at_thresholds, prepare, to_levels

BETA2 = 0.3


def fmeasure_curve(pred: np.ndarray, gt: np.ndarray, beta2: float = BETA2) -> np.ndarray:
    """(256,) float64: F_β at thresholds ``pred >= t/255`` for ``t = 0 … 255`` (ascending).

    ``pred`` H×W uint8 (min-max normalised first), ``gt`` H×W uint8 (``> 128``).
    Precision is 0 where nothing is predicted and F is 0 where P·R = 0, as in the
    toolboxes. (PySODMetrics stores the same values in descending-threshold order.)
    """
    p, g = prepare(pred, gt)
    return _curve(to_levels(p), g, beta2)


def _curve(levels: np.ndarray, g: np.ndarray, beta2: float) -> np.ndarray:
    tp, fp = counts_at_thresholds(levels, g)
    predicted = tp + fp
    predicted[predicted == 0] = 1
    precision = tp / predicted
    recall = tp / max(int(np.count_nonzero(g)), 1)
    num = (1 + beta2) * precision * recall
    den = np.where(num == 0, 1.0, beta2 * precision + recall)
    return num / den
