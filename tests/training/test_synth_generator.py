"""Synthetic DIS-like generator: contract, exact GT, determinism, and that it is hard."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dis_annotator.training.synth import KINDS, SynthSample, generate_sample


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_honours_the_contract(kind: str) -> None:
    s = generate_sample(np.random.default_rng([1, len(kind)]), size=(200, 160), kinds=[kind])
    assert isinstance(s, SynthSample)
    assert s.kind == kind
    assert s.image.shape == (160, 200, 3) and s.image.dtype == np.uint8  # size is (W, H)
    assert s.gt.shape == (160, 200) and s.gt.dtype == np.uint8
    assert set(np.unique(s.gt)) <= {0, 255}
    gt = s.gt > 0
    assert gt.sum() >= 0.003 * gt.size
    rows, cols = np.flatnonzero(gt.any(1)), np.flatnonzero(gt.any(0))
    assert s.box == (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
    # the GT is exactly the rendered coverage thresholded at one half
    assert s.alpha is not None
    np.testing.assert_array_equal(gt, s.alpha > 0.5)


def test_same_seed_same_sample_other_seed_other_sample() -> None:
    a = generate_sample(np.random.default_rng(42), size=(128, 128))
    b = generate_sample(np.random.default_rng(42), size=(128, 128))
    c = generate_sample(np.random.default_rng(43), size=(128, 128))
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.gt, b.gt)
    assert a.box == b.box and a.kind == b.kind
    assert not np.array_equal(a.image, c.image)


def test_objects_are_thin_and_not_separable_by_a_global_threshold() -> None:
    thin, best = [], []
    for i in range(12):
        s = generate_sample(np.random.default_rng([5, i]), size=(256, 256))
        gt = s.gt > 0
        d = cv2.distanceTransform(gt.astype(np.uint8), cv2.DIST_L2, 3)
        thin.append(float((d[gt] <= 2).mean()))  # share of object pixels within 2 px of an edge
        g = cv2.cvtColor(s.image, cv2.COLOR_RGB2GRAY)
        iou = 0.0
        for t in range(0, 256, 8):
            for m in (g > t, g <= t):
                iou = max(iou, (m & gt).sum() / (m | gt).sum())
        best.append(iou)
    assert np.mean(thin) > 0.6
    # the best single gray-level threshold (either polarity) recovers little of the object
    assert np.mean(best) < 0.5


def test_the_background_has_thin_distractors_that_are_not_ground_truth() -> None:
    # over a handful of samples, strong edges appear well outside the dilated object
    outside_edges = []
    for i in range(6):
        s = generate_sample(np.random.default_rng([9, i]), size=(256, 256))
        edges = cv2.Canny(cv2.cvtColor(s.image, cv2.COLOR_RGB2GRAY), 60, 150) > 0
        near = cv2.dilate(s.gt, np.ones((9, 9), np.uint8)) > 0
        outside_edges.append(edges[~near].mean())
    assert max(outside_edges) > 0.01


def test_rejects_unknown_kinds_and_tiny_sizes() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="unknown"):
        generate_sample(rng, kinds=["teapot"])
    with pytest.raises(ValueError, match="too small"):
        generate_sample(rng, size=(16, 16))


@pytest.mark.parametrize("size", [(32, 32), (48, 96), (300, 120)])
def test_small_and_odd_sizes_work(size: tuple[int, int]) -> None:
    for i in range(10):
        s = generate_sample(np.random.default_rng([99, i, size[0]]), size)
        assert s.image.shape == (size[1], size[0], 3) and s.gt.any()
