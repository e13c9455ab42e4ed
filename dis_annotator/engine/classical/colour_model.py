"""Colour likelihoods from smoothed 3-D histograms (a fast stand-in for GrabCut's GMMs).

Histograms are cheap to fit on millions of samples and to evaluate by table lookup,
which matters at full resolution where GMM evaluation would dominate the refine time.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

BINS = 16


def _bin_index(rgb: np.ndarray) -> np.ndarray:
    q = (rgb.astype(np.uint16) * BINS) >> 8  # 0..BINS-1 per channel
    return (q[..., 0] * BINS + q[..., 1]) * BINS + q[..., 2]


def colour_bins(rgb: np.ndarray) -> np.ndarray:
    """Histogram bin of every pixel of an H×W×3 uint8 image (H×W uint16): computed once,
    it serves both fitting (``ColourModel.from_bins``) and evaluation
    (``ColourModel.log_ratio_of_bins``) without re-reading the colours."""
    return _bin_index(rgb)


def _density(idx: np.ndarray) -> np.ndarray:
    hist = np.bincount(idx.ravel(), minlength=BINS**3).astype(np.float64)
    # Smooth across neighbouring bins so unseen but similar colours get probability.
    hist = gaussian_filter(hist.reshape(BINS, BINS, BINS), sigma=0.8, mode="nearest").ravel()
    hist += 1e-3 * max(1.0, float(hist.sum())) / BINS**3
    return hist / hist.sum()


class ColourModel:
    """Foreground/background colour log-likelihood ratio."""

    def __init__(self, fg_pixels: np.ndarray, bg_pixels: np.ndarray) -> None:
        """``fg_pixels``, ``bg_pixels``: N×3 uint8 RGB samples (N ≥ 1 each)."""
        self._set(_bin_index(fg_pixels), _bin_index(bg_pixels))

    @classmethod
    def from_bins(cls, fg_bins: np.ndarray, bg_bins: np.ndarray) -> ColourModel:
        """The same model from the samples' ``colour_bins`` (N ≥ 1 each)."""
        model = cls.__new__(cls)
        model._set(fg_bins, bg_bins)
        return model

    def _set(self, fg_bins: np.ndarray, bg_bins: np.ndarray) -> None:
        self._log_ratio = np.log(_density(fg_bins)) - np.log(_density(bg_bins))
        self._log_ratio32 = self._log_ratio.astype(np.float32)

    def log_ratio(self, rgb: np.ndarray) -> np.ndarray:
        """log p(colour | fg) − log p(colour | bg) for an H×W×3 uint8 image (float32)."""
        return self._log_ratio32[_bin_index(rgb)]

    def log_ratio_of_bins(self, bins: np.ndarray) -> np.ndarray:
        """``log_ratio`` of the image whose ``colour_bins`` are ``bins`` (float32)."""
        return self._log_ratio32[bins]


def surround_likeness(rgb: np.ndarray, selected: np.ndarray, surround: np.ndarray) -> float:
    """How much the selected pixels' colours look like the surround's, in [0, 1].

    Mean over selected pixels of p_surround / (p_selected + p_surround) for their colour:
    about 0.5 when the selection is made of surround colours (a filled-in see-through
    object), near 0 when its colours are its own.
    """
    if selected.sum() == 0 or surround.sum() == 0:
        return 0.0
    idx = _bin_index(rgb[selected])
    p_sel = _density(idx)
    p_sur = _density(_bin_index(rgb[surround]))
    return float((p_sur[idx] / (p_sel[idx] + p_sur[idx])).mean())
