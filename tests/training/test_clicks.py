"""Click simulator (Pi-SAM supplementary, Alg. 2): hand-checkable cases and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dis_annotator.training.clicks import clicks_per_region, simulate_clicks


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_clicks_per_region_matches_eq1():
    assert clicks_per_region(8) == 1
    assert clicks_per_region(399) == 1  # sqrt = 19.97 -> 1.997 -> 1
    assert clicks_per_region(400) == 2
    assert clicks_per_region(2500) == 5
    assert clicks_per_region(10_000) == 10
    assert clicks_per_region(10**7) == 10


def test_perfect_prediction_gives_no_clicks():
    gt = np.zeros((50, 60), bool)
    gt[10:30, 5:40] = True
    assert simulate_clicks(gt.copy(), gt, 10, _rng()) == []


def test_missed_square_gives_positive_clicks_inside_away_from_edge():
    gt = np.zeros((100, 120), bool)
    gt[20:60, 50:90] = True  # rows 20..59, cols 50..89: 40x40 = 1600 px -> 4 clicks
    pred = np.zeros_like(gt)
    pts = simulate_clicks(pred, gt, 10, _rng(), band=3)
    assert len(pts) == 4
    for p in pts:
        assert p.positive
        # (x, y) = (column, row): x in the column range, y in the row range, band removed
        assert 50 + 3 <= p.x <= 89 - 3
        assert 20 + 3 <= p.y <= 59 - 3
    assert len({(p.x, p.y) for p in pts}) == 4  # drawn without replacement


def test_false_positive_blob_gives_negative_clicks():
    gt = np.zeros((64, 64), bool)
    pred = np.zeros_like(gt)
    pred[5:15, 40:50] = True  # 100 px FP -> 1 negative click
    pts = simulate_clicks(pred, gt, 5, _rng())
    assert len(pts) == 1
    assert not pts[0].positive
    assert pred[int(pts[0].y), int(pts[0].x)]


def test_regions_below_min_area_are_dropped():
    gt = np.zeros((40, 40), bool)
    gt[5, 5:12] = True  # 7 px: dropped
    gt[20, 5:13] = True  # 8 px: kept
    pts = simulate_clicks(np.zeros_like(gt), gt, 10, _rng(), min_area=8)
    assert len(pts) == 1
    assert pts[0].y == 20 and 5 <= pts[0].x <= 12


def test_thin_line_thinner_than_band_is_clicked_on_its_medial_line():
    gt = np.zeros((40, 200), bool)
    gt[19:22, 10:190] = True  # 3 px thick wire, area 540 -> 2 clicks
    pts = simulate_clicks(np.zeros_like(gt), gt, 10, _rng(), band=3)
    assert len(pts) == 2
    assert all(p.y == 20 and p.positive for p in pts)


def test_large_region_is_capped_at_ten_clicks_and_max_points_truncates():
    gt = np.zeros((256, 256), bool)
    gt[:, :128] = True
    pred = ~gt  # everything wrong: one FN and one FP region of 32768 px each
    pts = simulate_clicks(pred, gt, 100, _rng())
    assert len(pts) == 20
    assert sum(p.positive for p in pts) == 10
    assert len(simulate_clicks(pred, gt, 3, _rng())) == 3
    assert simulate_clicks(pred, gt, 0, _rng()) == []


def test_same_seed_same_clicks_other_seed_other_order():
    gt = np.zeros((128, 128), bool)
    gt[10:100, 10:100] = True
    pred = np.zeros_like(gt)
    pred[50:120, 50:120] = True
    a = simulate_clicks(pred, gt, 8, _rng(7))
    b = simulate_clicks(pred, gt, 8, _rng(7))
    c = simulate_clicks(pred, gt, 8, _rng(8))
    assert a == b
    assert a != c


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError):
        simulate_clicks(np.zeros((4, 4), bool), np.zeros((4, 5), bool), 1, _rng())


@settings(max_examples=40, deadline=None)
@given(
    pred=arrays(bool, (24, 24)),
    gt=arrays(bool, (24, 24)),
    m=st.integers(0, 30),
    seed=st.integers(0, 2**16),
)
def test_clicks_lie_on_errors_of_the_right_sign(pred, gt, m, seed):
    pts = simulate_clicks(pred, gt, m, np.random.default_rng(seed))
    assert len(pts) <= m
    for p in pts:
        r, c = int(p.y), int(p.x)
        assert (r, c) == (p.y, p.x)
        if p.positive:
            assert gt[r, c] and not pred[r, c]
        else:
            assert pred[r, c] and not gt[r, c]


def test_points_to_arrays_uses_sam_layout():
    from dis_annotator.engine.types import Point
    from dis_annotator.training.clicks import points_to_arrays

    coords, labels = points_to_arrays([Point(3, 5, True), Point(7.5, 1, False)])
    assert coords.dtype == np.float32 and coords.tolist() == [[3, 5], [7.5, 1]]
    assert labels.tolist() == [1, 0]
    empty_c, empty_l = points_to_arrays([])
    assert empty_c.shape == (0, 2) and empty_l.shape == (0,)
