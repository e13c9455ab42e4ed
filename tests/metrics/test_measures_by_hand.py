"""Each measure on cases whose value can be worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from dis_annotator.metrics import (
    emeasure_curve,
    fmeasure_curve,
    mae,
    s_measure,
    weighted_fmeasure,
)


def _square_gt(size: int = 64, lo: int = 16, hi: int = 48) -> np.ndarray:
    gt = np.zeros((size, size), np.uint8)
    gt[lo:hi, lo:hi] = 255  # centred: every S-measure quadrant holds object and background
    return gt


def test_perfect_prediction():
    gt = _square_gt()
    n = gt.size
    assert fmeasure_curve(gt, gt).max() == pytest.approx(1.0)
    assert mae(gt, gt) == 0.0
    assert s_measure(gt, gt) == pytest.approx(1.0)
    assert weighted_fmeasure(gt, gt) == pytest.approx(1.0)
    e = emeasure_curve(gt, gt)
    # threshold 0 marks every pixel as object: both demeaned values of a predicted-1
    # pixel are 0 for pred, so alignment 0 and enhanced value 1/4; thresholds 1..255
    # are perfect (enhanced value 1 everywhere). Normalised by n - 1 as the toolbox.
    assert e[0] == pytest.approx(0.25 * n / (n - 1))
    assert np.allclose(e[1:], n / (n - 1))
    assert e.mean() == pytest.approx((255 + 0.25) / 256 * n / (n - 1))


def test_empty_prediction():
    gt = _square_gt()
    pred = np.zeros_like(gt)
    u = np.count_nonzero(gt) / gt.size  # 0.25
    f = fmeasure_curve(pred, gt)
    # t = 0: everything predicted, P = u, R = 1; t >= 1: nothing predicted, F = 0
    assert f[0] == pytest.approx(1.3 * u / (0.3 * u + 1))
    assert np.all(f[1:] == 0)
    assert mae(pred, gt) == pytest.approx(u)
    # object score: foreground part 0, background part 1 (weight 1 - u); region score:
    # every quadrant mixes object and background, and a flat prediction has no
    # covariance with it, so every SSIM term is 0.
    assert s_measure(pred, gt) == pytest.approx(0.5 * (1 - u))
    assert weighted_fmeasure(pred, gt) == pytest.approx(0.0, abs=1e-12)


def test_inverted_prediction():
    gt = _square_gt()
    pred = 255 - gt
    u = np.count_nonzero(gt) / gt.size
    f = fmeasure_curve(pred, gt)
    assert f.max() == pytest.approx(1.3 * u / (0.3 * u + 1))  # only t = 0 scores
    assert mae(pred, gt) == 1.0
    assert s_measure(pred, gt) == 0.0  # negative structure similarity clamps to 0
    assert weighted_fmeasure(pred, gt) == pytest.approx(0.0, abs=1e-12)


def test_all_background_gt():
    gt = np.zeros((40, 50), np.uint8)
    n = gt.size
    pred = np.zeros_like(gt)
    assert s_measure(pred, gt) == 1.0
    assert mae(pred, gt) == 0.0
    assert weighted_fmeasure(pred, gt) == 0.0  # toolbox convention for an empty GT
    assert fmeasure_curve(pred, gt).max() == 0.0  # recall is 0 without any object
    e = emeasure_curve(pred, gt)
    # empty GT: E is the fraction of pixels predicted background (over n - 1)
    assert e[0] == 0.0 and np.allclose(e[1:], n / (n - 1))
    blob = pred.copy()
    blob[:10, :10] = 255  # 100 of 2000 pixels wrong
    assert s_measure(blob, gt) == pytest.approx(1 - 100 / n)
    assert mae(blob, gt) == pytest.approx(100 / n)


def test_soft_prediction_is_min_max_normalised():
    gt = _square_gt()
    soft = np.where(gt > 0, 90, 40).astype(np.uint8)  # becomes exactly {0, 1}
    assert mae(soft, gt) == 0.0
    assert s_measure(soft, gt) == pytest.approx(s_measure(gt, gt))
    assert np.array_equal(fmeasure_curve(soft, gt), fmeasure_curve(gt, gt))


def test_half_precision_prediction_f_value():
    gt = _square_gt()  # 32x32 = 1024 object pixels
    pred = gt.copy()
    pred[16:48, 48:64] = 255  # plus 512 false pixels: P = 2/3, R = 1
    f = fmeasure_curve(pred, gt)
    p, r = 2 / 3, 1.0
    assert f[255] == pytest.approx(1.3 * p * r / (0.3 * p + r))


def test_size_mismatch_is_refused():
    with pytest.raises(ValueError):
        mae(np.zeros((4, 4), np.uint8), np.zeros((4, 5), np.uint8))


def test_bool_maps_count_as_0_and_255_and_floats_are_refused():
    from dis_annotator.metrics import hce

    gt = _square_gt()
    assert mae(gt > 0, gt > 0) == 0.0
    assert hce(np.zeros(gt.shape, bool), gt > 0) == hce(np.zeros_like(gt), gt) > 0
    with pytest.raises(ValueError, match="uint8"):
        mae(gt / 255.0, gt)
