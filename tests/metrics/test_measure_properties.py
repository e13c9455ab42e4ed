"""Property tests: ranges and invariances of the measures on random maps."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dis_annotator.metrics import (
    emeasure_curve,
    fmeasure_curve,
    hce,
    mae,
    s_measure,
    weighted_fmeasure,
)

SHAPES = st.tuples(st.integers(2, 24), st.integers(2, 24))


@st.composite
def pairs(draw):
    shape = draw(SHAPES)
    pred = draw(arrays(np.uint8, shape))
    gt = draw(arrays(bool, shape)).astype(np.uint8) * 255
    return pred, gt


@st.composite
def binary_pairs(draw):
    shape = draw(SHAPES)
    pred = draw(arrays(bool, shape)).astype(np.uint8) * 255
    gt = draw(arrays(bool, shape)).astype(np.uint8) * 255
    return pred, gt


@settings(max_examples=60, deadline=None)
@given(pairs())
def test_measures_stay_in_range(pair):
    pred, gt = pair
    n = gt.size
    f = fmeasure_curve(pred, gt)
    e = emeasure_curve(pred, gt)
    assert f.shape == e.shape == (256,)
    assert np.all((f >= 0) & (f <= 1 + 1e-12))
    # E is normalised by n - 1 (toolbox convention), so it may reach n / (n - 1)
    assert np.all((e >= 0) & (e <= n / (n - 1) + 1e-12))
    assert 0 <= weighted_fmeasure(pred, gt) <= 1 + 1e-12
    assert 0 <= s_measure(pred, gt) <= 1 + 1e-12
    assert 0 <= mae(pred, gt) <= 1


@settings(max_examples=40, deadline=None)
@given(pairs(), st.sampled_from(["T", "ud", "lr"]))
def test_pixelwise_measures_ignore_flips_and_transposes(pair, how):
    pred, gt = pair
    op = {"T": np.transpose, "ud": np.flipud, "lr": np.fliplr}[how]
    p2, g2 = np.ascontiguousarray(op(pred)), np.ascontiguousarray(op(gt))
    assert np.array_equal(fmeasure_curve(pred, gt), fmeasure_curve(p2, g2))
    assert np.array_equal(emeasure_curve(pred, gt), emeasure_curve(p2, g2))
    assert abs(mae(pred, gt) - mae(p2, g2)) < 1e-12  # summation order differs


@settings(max_examples=40, deadline=None)
@given(binary_pairs(), st.integers(0, 254), st.integers(1, 255))
def test_two_level_predictions_are_scale_free(pair, low, span):
    # min-max normalisation maps any two-level prediction {a < b} to exactly {0, 1}
    pred, gt = pair
    high = min(255, low + span)
    if not (pred > 0).any() or (pred > 0).all():
        return  # a constant map is not normalised
    scaled = np.where(pred > 0, high, low).astype(np.uint8)
    assert np.array_equal(fmeasure_curve(scaled, gt), fmeasure_curve(pred, gt))
    assert np.array_equal(emeasure_curve(scaled, gt), emeasure_curve(pred, gt))
    assert mae(scaled, gt) == mae(pred, gt)
    assert s_measure(scaled, gt) == s_measure(pred, gt)
    assert weighted_fmeasure(scaled, gt) == weighted_fmeasure(pred, gt)


@settings(max_examples=40, deadline=None)
@given(binary_pairs())
def test_perfect_prediction_is_perfect_and_hce_is_a_count(pair):
    pred, gt = pair
    assert hce(gt, gt) == 0
    assert mae(gt, gt) == 0
    h = hce(pred, gt)
    assert isinstance(h, int) and h >= 0
    if (gt > 0).any() and not (gt > 0).all():
        assert fmeasure_curve(gt, gt).max() == 1.0
        assert abs(s_measure(gt, gt) - 1) < 1e-9


@settings(max_examples=30, deadline=None)
@given(arrays(bool, (24, 20)))
def test_a_far_false_blob_costs_exactly_one_click_whatever_the_object(obj):
    gt = np.zeros((24, 48), np.uint8)
    gt[:, :20] = obj.astype(np.uint8) * 255
    pred = gt.copy()
    pred[4:20, 28:44] = 255  # 16x16, thicker than 2γ, >= 8 px from any object pixel
    assert hce(pred, gt) == 1
