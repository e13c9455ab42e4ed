"""The NoC protocol on drawn masks: box, IoU with ignore pixels, click placement, summaries."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dis_annotator.metrics.noc import (
    Click,
    Step,
    Trajectory,
    _interior,
    benchmark_box,
    iou,
    next_click,
    run_protocol,
    split_target,
)
from dis_annotator.metrics.noc_report import summarise
from tests.synthetic import shifted_tie_ellipses


def _mask(h: int = 100, w: int = 200) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    m[20:60, 50:150] = 255
    return m


def test_box_is_bbox_plus_three_percent_of_the_image_clipped():
    fg, _ = split_target(_mask())
    assert benchmark_box(fg) == (50 - 6, 20 - 3, 150 + 6, 60 + 3)
    edge = np.zeros((100, 200), bool)
    edge[0:10, 190:200] = True
    assert benchmark_box(edge) == (184, 0, 200, 13)
    assert benchmark_box(np.zeros((5, 5), bool)) is None


def test_iou_skips_ignored_pixels():
    m = _mask()
    m[18:22, 50:150] = 128  # an uncertain band across the top edge
    fg, valid = split_target(m)
    pred = np.zeros_like(fg)
    pred[15:60, 50:150] = True  # wrong only inside the band and above it
    inside = 38 * 100
    assert iou(pred, fg, valid) == pytest.approx(inside / (inside + 3 * 100))


def test_next_click_goes_to_the_interior_of_the_largest_error():
    fg, valid = split_target(_mask())
    pred = fg.copy()
    pred[20:60, 100:150] = False  # missed right half (40x50)
    pred[70:80, 10:20] = True  # small false blob
    c = next_click(pred, fg, valid)
    assert c is not None and c.positive
    assert 115 <= c.x <= 135 and 35 <= c.y <= 45  # the middle band of the missed block

    pred = fg.copy()
    pred[70:95, 10:60] = True  # large false blob wins
    c = next_click(pred, fg, valid)
    assert c == Click(c.x, c.y, False) and 20 <= c.x <= 50 and 80 <= c.y <= 85
    assert next_click(fg, fg, valid) is None


def test_next_click_never_lands_on_ignored_pixels():
    m = _mask()
    m[20:60, 90:110] = 128  # ignore band across the middle of the object
    fg, valid = split_target(m)
    c = next_click(np.zeros_like(fg), fg, valid)
    assert valid[c.y, c.x] and fg[c.y, c.x]


def test_protocol_counts_clicks_after_the_box_and_stops_when_right():
    m = _mask()
    fg, _ = split_target(m)
    calls = []

    def segment(box, clicks, state):
        calls.append((box, tuple(clicks)))
        pred = np.zeros_like(fg)
        pred[20:60, 50:100] = True  # half the object from the box
        if clicks:
            pred |= fg  # the first click fixes everything
        return pred, None

    traj = run_protocol(segment, m, "box", max_clicks=20)
    assert calls[0] == (benchmark_box(fg), ())
    assert [s.clicks for s in traj.steps] == [0, 1]
    assert traj.steps[0].iou == pytest.approx(0.5) and traj.steps[1].iou == 1.0
    assert traj.noc(0.9, 20) == 1 and traj.iou_at(5) == 1.0
    assert calls[1][1][0].positive

    click_start = run_protocol(segment, m, "click", max_clicks=20)
    assert calls[2][0] is None and click_start.steps[0].clicks == 1
    assert click_start.noc(0.9, 20) == 1


def test_protocol_caps_and_stop_iou():
    m = _mask()

    def stuck(box, clicks, state):
        return np.zeros(m.shape, bool), None

    traj = run_protocol(stuck, m, "box", max_clicks=4)
    assert len(traj.steps) == 5 and traj.noc(0.85, 4) == 4
    fg, _ = split_target(m)

    def good(box, clicks, state):
        return fg.copy(), None

    assert len(run_protocol(good, m, "box", max_clicks=4, stop_iou=0.9).steps) == 1


def test_summary_worse_share_failures_and_reference():
    a = Trajectory("a", "box", [Step(0, 0.6, 10.0), Step(1, 0.5, 4.0), Step(2, 0.2, 6.0)])
    b = Trajectory("b", "box", [Step(0, 0.9, 20.0), Step(1, 0.995, 2.0)])
    s = summarise([a, b], cap=20)
    assert s.n == 2 and s.box_miou == pytest.approx(0.75)
    assert s.clicks == 3 and s.worse == pytest.approx(2 / 3) and s.worse_tol == pytest.approx(2 / 3)
    assert s.failures == ["a"]
    assert s.noc[0.9] == pytest.approx((20 + 0) / 2)
    assert s.miou[5] == pytest.approx((0.2 + 0.995) / 2)
    assert s.box_ms == 15.0 and s.click_ms == 4.0
    # judged against a baseline box IoU below 0.5, the same run is no failure
    assert summarise([a, b], reference={"a": 0.4}).failures == []
    assert math.isnan(summarise([Trajectory("c", "click")]).box_miou)


def test_interior_ties_break_the_same_way_wherever_the_region_lies():
    picks = set()
    for region, (r0, c0) in shifted_tie_ellipses():
        r, c = _interior(region)
        picks.add((r - r0, c - c0))
    assert len(picks) == 1  # protocol v1 gave two
