"""Mean absolute error (Perazzi et al. 2012) on the prepared map."""

from __future__ import annotations

import numpy as np

from dis_annotator.metrics.prepare import prepare


def mae(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean |pred − gt| with pred min-max normalised to [0, 1] (toolbox convention)."""
    p, g = prepare(pred, gt)
    return float(np.mean(np.abs(p - g)))
