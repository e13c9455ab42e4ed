"""SAM-like coarse-mask degradation: range, determinism, plausible IoU, thin parts lost."""

from __future__ import annotations

import cv2
import numpy as np

from dis_annotator.training.degrade import CoarseConfig, sam_like_coarse, sam_like_coarse_binary
from dis_annotator.training.synth import generate_sample


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def _disc_and_wires(size: int = 512) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A thick disc plus 1–2 px wires far from it (H×W bool GT, disc part, wire part)."""
    disc = np.zeros((size, size), np.uint8)
    cv2.circle(disc, (150, 250), 90, 1, -1)
    wires = np.zeros((size, size), np.uint8)
    for k in range(5):
        cv2.line(wires, (300, 60 + 90 * k), (500, 100 + 80 * k), 1, 1 + k % 2)
    return (disc | wires) > 0, disc > 0, wires > 0


def test_output_range_shape_and_empty_gt() -> None:
    gt, _, _ = _disc_and_wires(256)
    out = sam_like_coarse(gt, np.random.default_rng(0))
    assert out.shape == gt.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    empty = sam_like_coarse(np.zeros((64, 80), np.uint8), np.random.default_rng(0))
    assert empty.shape == (64, 80) and not empty.any()
    # uint8 0/255 input is the same as bool input
    a = sam_like_coarse(gt.astype(np.uint8) * 255, np.random.default_rng(5))
    b = sam_like_coarse(gt, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


def test_deterministic_per_seed_and_binary_variant_matches() -> None:
    gt, _, _ = _disc_and_wires(256)
    a = sam_like_coarse(gt, np.random.default_rng(7))
    b = sam_like_coarse(gt, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    others = [sam_like_coarse(gt, np.random.default_rng(s)) for s in range(8, 12)]
    assert any(not np.array_equal(a, o) for o in others)
    np.testing.assert_array_equal(sam_like_coarse_binary(gt, np.random.default_rng(7)), a > 0.5)


def test_thin_parts_are_lost_when_the_thin_branch_is_forced() -> None:
    gt, disc, wires = _disc_and_wires()
    cfg = CoarseConfig(p_fill=0.0, lost_fraction=(1.0, 1.0), p_chunks=0.0, p_blobs=0.0,
                       morph_radius=(0.0, 0.0))
    for seed in range(4):
        m = sam_like_coarse_binary(gt, np.random.default_rng(seed), cfg)
        assert m[wires].mean() < 0.1  # the 1–2 px wires vanish
        assert _iou(m & (disc | ~wires), disc) > 0.9  # the disc survives, edges softened


def test_default_degradation_hurts_thin_parts_more_than_thick_ones() -> None:
    gt, disc, wires = _disc_and_wires()
    wire_recall, disc_recall = [], []
    for seed in range(12):
        m = sam_like_coarse_binary(gt, np.random.default_rng(seed))
        wire_recall.append(m[wires].mean())
        disc_recall.append(m[disc].mean())
    assert np.mean(disc_recall) > 0.85
    assert np.mean(wire_recall) < np.mean(disc_recall) - 0.25


def test_roi_view_leaves_the_far_background_empty() -> None:
    gt = np.zeros((400, 400), bool)
    gt[150:250, 150:250] = True
    out = sam_like_coarse(gt, np.random.default_rng(1), CoarseConfig(p_roi=1.0, p_blobs=0.0))
    assert not out[:100].any() and not out[:, 320:].any()


def test_iou_with_gt_is_in_a_sam_like_band_on_synthetic_objects() -> None:
    ious = []
    for i in range(16):
        rng = np.random.default_rng([3, i])
        s = generate_sample(rng, size=(256, 256))
        gt = s.gt > 0
        ious.append(_iou(sam_like_coarse_binary(gt, rng), gt))
    # coarse, not useless: thin objects keep roughly half their pixels, never all
    assert 0.25 < np.mean(ious) < 0.8
    assert max(ious) < 0.97


def test_large_views_work_at_reduced_resolution_with_the_same_geometry() -> None:
    # a 2400 px image is degraded at 1024 internally; a solid disc must still come back
    gt = np.zeros((1800, 2400), np.uint8)
    cv2.circle(gt, (1200, 900), 400, 255, -1)
    cfg = CoarseConfig(p_chunks=0.0, p_blobs=0.0, p_fill=0.0)
    out = sam_like_coarse(gt, np.random.default_rng(0), cfg)
    assert out.shape == gt.shape
    assert _iou(out > 0.5, gt > 0) > 0.95
