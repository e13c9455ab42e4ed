"""HCE_γ on cases counted by hand from the definition (IS-Net paper, Alg. 1)."""

from __future__ import annotations

import numpy as np

from dis_annotator.metrics import gt_skeleton, hce, hce_parts


def _canvas() -> np.ndarray:
    return np.zeros((96, 96), np.uint8)


def test_perfect_prediction_costs_nothing():
    gt = _canvas()
    gt[20:60, 20:60] = 255
    gt[70, 10:80] = 255  # a wire: its skeleton lies inside TP, so still free
    assert hce(gt.copy(), gt) == 0


def test_missing_straight_wire_costs_two_vertices():
    # GT: a solid square (predicted) and a 1-px wire 30 px long (missed). The wire is
    # thinner than γ, so erosion forgives it, but it is its own skeleton and thin
    # structures always count. Its contour runs out and back; each pixel is traced
    # once, giving one straight 30-point polyline whose Douglas–Peucker simplification
    # keeps its two ends. No FP; the wire touches background, so no free region.
    gt = _canvas()
    gt[10:40, 10:40] = 255
    gt[70, 20:50] = 255
    pred = gt.copy()
    pred[70, :] = 0
    assert hce_parts(pred, gt) == (0, 0, 2, 0)
    assert hce(pred, gt) == 2


def test_missing_bent_wire_costs_three_vertices():
    # Same, with an L-shaped wire: two ends plus the corner.
    gt = _canvas()
    gt[10:40, 10:40] = 255
    gt[60, 20:50] = 255
    gt[60:90, 49] = 255
    pred = np.zeros_like(gt)
    pred[10:40, 10:40] = 255
    assert hce(pred, gt) == 3


def test_isolated_false_blob_costs_one_region_click():
    # A 30x30 false blob surrounded by true background: its relaxed version survives
    # (thicker than γ) but no part of its boundary touches the object, so one
    # region-selection click fixes it.
    gt = _canvas()
    gt[5:25, 5:25] = 255
    pred = gt.copy()
    pred[50:80, 50:80] = 255
    assert hce_parts(pred, gt) == (0, 1, 0, 0)


def test_false_strip_along_the_object_costs_its_straight_border():
    # A 20-px false strip glued to the object's right side: the border shared with the
    # object is one straight line → two vertices; no free region.
    gt = _canvas()
    gt[20:60, 20:60] = 255
    pred = gt.copy()
    pred[20:60, 60:80] = 255
    assert hce_parts(pred, gt) == (2, 0, 0, 0)


def test_thin_error_on_the_outline_is_forgiven():
    gt = _canvas()
    gt[20:60, 20:60] = 255
    pred = gt.copy()
    pred[20:60, 60:62] = 255  # 2-px fattening of the outline: within γ = 5
    assert hce(pred, gt) == 0


def test_hole_inside_the_object_costs_one_region_click():
    # Erosion works on pred ∪ gt, which has no hole here, so even a small hole is kept;
    # it is enclosed by TP, so one region-selection click fills it (FN_TP in Fig. 7).
    gt = _canvas()
    gt[20:60, 20:60] = 255
    pred = gt.copy()
    pred[30:33, 30:33] = 0  # off the skeleton's diagonals and centre lines
    ske = gt_skeleton(gt > 128)
    assert not ske[30:33, 30:33].any()
    assert hce_parts(pred, gt, skeleton=ske) == (0, 0, 0, 1)


def test_given_skeleton_is_used():
    gt = _canvas()
    gt[70, 20:50] = 255
    pred = np.zeros_like(gt)
    no_skeleton = np.zeros(gt.shape, bool)
    assert hce(pred, gt, skeleton=no_skeleton) == 0  # wire forgiven without its skeleton
    assert hce(pred, gt) == 2
