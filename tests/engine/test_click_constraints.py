"""Clicks are hard constraints for every engine (engine/constraints.py + Pipeline.run)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dis_annotator.engine.constraints import apply_click_constraints, enforce_clicks
from dis_annotator.engine.factory import build_pipeline
from dis_annotator.engine.pipeline import Pipeline
from dis_annotator.engine.types import Box, ImageData, MaskOutput, Point, Prompt, Request

H, W = 96, 128


def drawn_object(seed: int) -> tuple[np.ndarray, np.ndarray, Box]:
    """A random ellipse of one colour on smooth colour noise: (image, truth, box)."""
    import cv2

    rng = np.random.default_rng(seed)
    noise = cv2.resize(rng.uniform(0, 255, (6, 8, 3)).astype(np.float32), (W, H),
                       interpolation=cv2.INTER_CUBIC)
    img = 0.5 * noise + 60 + rng.normal(0, 6, (H, W, 3))
    truth = np.zeros((H, W), np.uint8)
    centre = (int(rng.integers(35, W - 35)), int(rng.integers(30, H - 30)))
    axes = (int(rng.integers(12, 30)), int(rng.integers(10, 25)))
    cv2.ellipse(truth, centre, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
    colour = rng.uniform(0, 255, 3)
    m = truth[..., None] / 255.0
    img = np.clip(img * (1 - m) + colour * m, 0, 255).astype(np.uint8)
    ys, xs = np.nonzero(truth)
    box = Box(max(0, xs.min() - 5), max(0, ys.min() - 5), min(W, xs.max() + 6), min(H, ys.max() + 6))
    return img, truth > 0, box


def expected_sides(points: list[Point]) -> dict[tuple[int, int], bool]:
    """(row, col) → the side the latest click on that pixel asks for."""
    return {(int(p.y), int(p.x)): p.positive for p in points}


clicks_strategy = st.lists(
    st.tuples(st.integers(0, W - 1), st.integers(0, H - 1), st.booleans()), min_size=1, max_size=10
)


def _run_clicks(pipe: Pipeline, seed: int, clicks: list[tuple[int, int, bool]]) -> None:
    img, _, box = drawn_object(seed)
    image = ImageData(img)
    previous = pipe.run(Request(image, Prompt(box=box))).output
    points: list[Point] = []
    for x, y, positive in clicks:
        points.append(Point(x + 0.5, y + 0.5, positive))
        out = pipe.run(Request(image, Prompt(box=box, points=tuple(points)), previous=previous))
        for (r, c), side in expected_sides(points).items():
            assert bool(out.mask[r, c]) == side, f"click at ({c}, {r}) on the wrong side"
        previous = out.output


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), clicks=clicks_strategy)
def test_classical_pipeline_never_leaves_a_click_on_the_wrong_side(seed, clicks):
    _run_clicks(build_pipeline(engine="classical"), seed, clicks)


@pytest.fixture(scope="module")
def tiny_sam_pipeline():
    """A random-weight SAM at 256² with a narrow decoder: real code paths, fast decodes."""
    from dataclasses import replace

    import torch

    from dis_annotator.engine.sam_backbone import SamBackbone
    from dis_annotator.engine.sam_model import build_sam
    from dis_annotator.engine.sam_stage import SamCoarseStage
    from dis_annotator.training.pisam_tiny import TINY_SAM

    torch.manual_seed(0)
    sam = build_sam(replace(TINY_SAM, prompt_embed_dim=32, decoder_mlp_dim=64))
    return Pipeline(coarse=SamCoarseStage(SamBackbone(sam, "tiny", "cpu")))


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), clicks=clicks_strategy)
def test_tiny_random_sam_pipeline_never_leaves_a_click_on_the_wrong_side(
    tiny_sam_pipeline, seed, clicks
):
    _run_clicks(tiny_sam_pipeline, seed, clicks)


def _square_image() -> np.ndarray:
    img = np.full((80, 100, 3), (40, 120, 40), np.uint8)
    img[20:60, 30:70] = (220, 200, 30)
    return img


def test_repair_adds_the_coloured_region_around_the_click_not_a_pixel():
    img = _square_image()
    empty = np.zeros((80, 100), bool)
    fixed, n = enforce_clicks(img, empty, [Point(50, 40, True)])
    assert n == 1
    square = np.zeros_like(empty)
    square[20:60, 30:70] = True
    # The repair stays inside the square (walled in by its edges) and is a real region.
    assert not (fixed & ~square).any()
    assert fixed.sum() >= 200
    assert not empty.any()  # the input mask is not modified


def test_repair_removes_around_a_background_click_and_keeps_other_clicks():
    img = _square_image()
    full = np.ones((80, 100), bool)
    points = [Point(50, 40, True), Point(52, 40, False)]
    fixed, n = enforce_clicks(img, full, points)
    assert n == 1
    assert fixed[40, 50] and not fixed[40, 52]
    assert (~fixed).sum() >= 100 and fixed[5, 5]  # far outside the square: untouched


def test_latest_click_wins_on_the_same_pixel():
    img = _square_image()
    fixed, _ = enforce_clicks(img, np.zeros((80, 100), bool), [Point(50, 40, True), Point(50, 40, False)])
    assert not fixed[40, 50]


def test_apply_keeps_a_satisfied_output_untouched_and_fixes_soft_map():
    img = ImageData(_square_image())
    mask = np.zeros((80, 100), bool)
    out = MaskOutput(mask=mask, prob=np.zeros((80, 100), np.float32), prob_box=Box(0, 0, 100, 80))
    same = apply_click_constraints(img, out, Prompt(points=(Point(5, 5, False),)))
    assert same is out and same.mask is mask
    fixed = apply_click_constraints(img, out, Prompt(points=(Point(50, 40, True),)))
    assert fixed.mask[40, 50] and fixed.prob[40, 50] == 1.0


def test_repair_never_reaches_past_the_middle_to_a_click_of_the_other_label():
    # One flat colour: the repair of the foreground click would be a wide disc; a
    # background click 20 px away says the detail is finer than that.
    img = np.full((200, 200, 3), (120, 120, 120), np.uint8)
    points = [Point(100, 100, False), Point(120, 100, True)]
    fixed, n = enforce_clicks(img, np.zeros((200, 200), bool), points)
    assert n == 1
    cols = np.flatnonzero(fixed.any(axis=0))
    assert fixed[100, 120] and not fixed[100, 100]
    assert cols.min() >= 110  # nothing nearer the background click than its own
    assert fixed.sum() >= 100
