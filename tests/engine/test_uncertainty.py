"""The uncertainty band, the suggested click and the effort on drawn cases (issue 15)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dis_annotator.engine.types import Box, ImageData, MaskOutput, Point, Prompt
from dis_annotator.engine.uncertainty import UncertaintyEstimator
from dis_annotator.engine.uncertainty.suggest import interior
from tests.synthetic import shifted_tie_ellipses, textured_background

OBJECT = np.array([200, 60, 40], np.float32)


def scene(seed: int = 0, size: int = 400) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A red disc with a thin wire (3 px) sticking out, on a busy background.

    Returns (image H×W×3 uint8, truth H×W bool, wire H×W bool)."""
    rng = np.random.default_rng(seed)
    h = w = size
    bg = textured_background(h, w, rng)
    bg[..., 0] *= 0.5  # the background holds little red: the object's colour is its own
    disc = np.zeros((h, w), np.uint8)
    cv2.circle(disc, (170, 210), 90, 1, -1)
    wire = np.zeros((h, w), np.uint8)
    cv2.line(wire, (250, 180), (340, 90), 1, 3)
    truth = (disc | wire).astype(bool)
    img = bg.copy()
    img[truth] = OBJECT + rng.normal(0, 6, (int(truth.sum()), 3))
    return np.clip(img, 0, 255).astype(np.uint8), truth, wire.astype(bool) & ~disc.astype(bool)


def estimate(img: np.ndarray, mask: np.ndarray, points: tuple[Point, ...] = ()):
    box = Box(50.0, 50.0, 370.0, 330.0)
    return UncertaintyEstimator()(ImageData(img), MaskOutput(mask), Prompt(box=box, points=points))


def test_a_missed_thin_wire_lies_in_the_band():
    img, truth, wire = scene()
    u = estimate(img, truth & ~wire)
    full = u.full()
    assert full.shape == truth.shape and full.dtype == np.float32
    assert (full[wire] >= 0.5).mean() > 0.8
    assert u.band_share < 0.05  # the band is the wire, not the whole box
    assert u.effort > 0


def test_a_perfect_result_has_zero_effort_and_no_suggestion():
    img, truth, _ = scene()
    u = estimate(img, truth)
    assert u.effort == 0.0
    assert u.suggested_click is None and u.suggested_positive is None
    assert u.full().max() < 0.5


@pytest.mark.parametrize("seed", [0, 3])
def test_effort_grows_with_the_number_of_separate_error_components(seed):
    img, truth, wire = scene(seed)
    full = truth & ~wire  # the wire is kept out of this test: only the chunks differ
    img = img.copy()
    img[wire] = textured_background(*truth.shape, np.random.default_rng(9))[wire].clip(0, 255)
    chunks = [((110, 150), 18), ((230, 230), 18), ((150, 280), 18), ((100, 230), 18)]
    efforts = []
    for k in (1, 2, 4):
        cut = np.zeros(truth.shape, np.uint8)
        for c, r in chunks[:k]:
            cv2.circle(cut, c, r, 1, -1)
        efforts.append(estimate(img, full & ~cut.astype(bool)).effort)
    assert efforts[0] > 0
    assert efforts[0] < efforts[1] < efforts[2]


def test_the_suggested_click_lands_inside_an_error_region():
    img, truth, wire = scene()
    lobe = np.zeros(truth.shape, np.uint8)
    cv2.circle(lobe, (170, 140), 35, 1, -1)
    missed = lobe.astype(bool) & truth
    u = estimate(img, truth & ~missed & ~wire)
    assert u.suggested_click is not None
    x, y = u.suggested_click
    assert missed[int(y), int(x)] or wire[int(y), int(x)]
    assert u.suggested_positive is True


def test_false_foreground_gets_a_background_suggestion():
    img, truth, _ = scene()
    extra = np.zeros(truth.shape, np.uint8)
    cv2.circle(extra, (300, 270), 30, 1, -1)
    extra = extra.astype(bool) & ~truth
    u = estimate(img, truth | extra)
    assert u.suggested_click is not None
    x, y = u.suggested_click
    assert extra[int(y), int(x)] and u.suggested_positive is False


def test_a_click_settles_its_neighbourhood():
    img, truth, wire = scene()
    before = estimate(img, truth & ~wire)
    x, y = before.suggested_click
    after = estimate(img, truth & ~wire, (Point(x, y, True),))
    assert after.full()[int(y), int(x)] == 0.0
    assert after.suggested_click != before.suggested_click


def test_segment_results_carry_uncertainty_suggestion_and_effort():
    import dis_annotator
    from dis_annotator.engine.factory import build_pipeline

    img, truth, _ = scene()
    seg = dis_annotator.segment(img, (50, 50, 370, 330), pipeline=build_pipeline(engine="classical"))
    assert seg.uncertainty.shape == truth.shape and seg.uncertainty.dtype == np.float32
    assert 0.0 <= seg.uncertainty.min() and seg.uncertainty.max() <= 1.0
    assert isinstance(seg.effort, float) and seg.effort >= 0
    assert 0.0 <= seg.expected_loss <= 1.0
    assert seg.expected_loss == pytest.approx(seg.provenance["uncertainty"]["expected_loss"], abs=1e-4)
    assert seg.suggested_click is None or (
        0 <= seg.suggested_click[0] < img.shape[1] and 0 <= seg.suggested_click[1] < img.shape[0]
    )
    # Whatever the mask, wrong pixels of this result are more uncertain than right ones.
    wrong = seg.mask ^ truth
    if wrong.any():
        assert seg.uncertainty[wrong].mean() > seg.uncertainty[~wrong].mean()


def test_pipeline_without_uncertainty_leaves_it_out():
    from dis_annotator.engine.factory import build_pipeline
    from dis_annotator.engine.types import Request

    img, _, _ = scene()
    p = build_pipeline(engine="classical")
    p.uncertainty = False
    r = p.run(Request(ImageData(img), Prompt(box=Box(50.0, 50.0, 370.0, 330.0))))
    assert r.uncertainty is None
    p.uncertainty = True
    assert p.run(Request(ImageData(img), Prompt(box=Box(50.0, 50.0, 370.0, 330.0)))).uncertainty is not None


def test_thin_spokes_stay_in_the_band_when_the_working_grid_is_coarse():
    """1 MP: the working grid is ~0.35× and a 2-px spoke would average away there."""
    from tests.synthetic import spoked_wheel

    img, truth, box = spoked_wheel(1000)
    rim_hub = np.zeros(truth.shape, np.uint8)
    cv2.circle(rim_hub, (500, 500), 380, 1, 10)
    cv2.circle(rim_hub, (500, 500), 33, 1, -1)
    mask = truth & (cv2.dilate(rim_hub, np.ones((5, 5), np.uint8)) > 0)
    spokes = truth & ~mask
    u = UncertaintyEstimator()(ImageData(img), MaskOutput(mask), Prompt(box=Box(*box)))
    assert u.roi.scale < 0.5
    assert (u.full()[spokes] >= 0.5).mean() > 0.9
    assert u.band_share < 0.25
    x, y = u.suggested_click
    assert spokes[int(y), int(x)] and u.suggested_positive


def test_suggested_point_does_not_depend_on_where_the_part_lies_in_memory():
    picks = set()
    for part, (r0, c0) in shifted_tie_ellipses():
        r, c = interior(part, np.ones(part.shape, np.float32))
        picks.add((r - r0, c - c0))
    assert len(picks) == 1
