"""Loss terms on inputs whose values can be computed by hand."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dis_annotator.training.losses import (
    LossWeights,
    conv_weights,
    orthogonality_loss,
    refiner_loss,
    side_losses,
    soft_iou_loss,
)


def _target() -> torch.Tensor:
    g = torch.zeros(2, 1, 8, 8)
    g[:, :, 2:6, 2:6] = 1
    return g


def test_iou_loss_perfect_disjoint_and_half() -> None:
    g = _target()
    assert float(soft_iou_loss(g, g)) == pytest.approx(0.0, abs=1e-6)
    assert float(soft_iou_loss(1 - g, g)) == pytest.approx(1.0, abs=1e-6)
    half = g.clone()
    half[:, :, 2:4, 2:6] = 0  # predicts half of the object: IoU = 8/16
    assert float(soft_iou_loss(half, g)) == pytest.approx(0.5, abs=1e-6)


def test_orthogonality_zero_for_orthonormal_filters() -> None:
    conv = nn.Conv2d(2, 4, 3)  # W: 4 × 18
    q, _ = torch.linalg.qr(torch.randn(18, 4, dtype=torch.float64))
    with torch.no_grad():
        conv.weight.copy_(q.t().reshape(4, 2, 3, 3).float())
    assert float(orthogonality_loss([conv.weight.detach()])) == pytest.approx(0.0, abs=1e-5)
    assert float(orthogonality_loss([conv.weight.detach()], "l1")) == pytest.approx(0.0, abs=1e-4)


def test_orthogonality_hand_value() -> None:
    # Two identical unit filters: WWᵀ − I = [[0, 1], [1, 0]] → Frobenius √2, L1 2.
    w = torch.zeros(2, 1, 1, 2)
    w[:, 0, 0, 0] = 1.0
    assert float(orthogonality_loss([w])) == pytest.approx(math.sqrt(2), abs=1e-6)
    assert float(orthogonality_loss([w], "l1")) == pytest.approx(2.0, abs=1e-6)
    with pytest.raises(ValueError):
        orthogonality_loss([w], "l2")


def test_side_losses_near_zero_for_confident_correct_logits() -> None:
    g = _target()
    logits = [(g * 2 - 1) * 30 for _ in range(6)]
    bce, iou = side_losses(logits, g, LossWeights())
    assert float(bce) < 1e-6 and float(iou) < 1e-6
    # All-zero logits: BCE = ln 2 per side.
    bce0, _ = side_losses([torch.zeros_like(g)] * 6, g, LossWeights())
    assert float(bce0) == pytest.approx(6 * math.log(2), rel=1e-5)


def test_refiner_loss_combines_weighted_terms() -> None:
    g = _target()
    net = nn.Conv2d(1, 1, 1, bias=False)
    with torch.no_grad():
        net.weight.fill_(2.0)  # ‖[4] − [1]‖ = 3
    logits = [torch.zeros_like(g)] * 6
    feats = [torch.ones(2, 3, 4, 4)]
    gt_feats = [torch.zeros(2, 3, 4, 4)]  # MSE = 1
    w = LossWeights(bce=20, iou=0.5, fea=1.0, ortho=0.1)
    total, parts = refiner_loss(logits, feats, g, gt_feats, net, w)
    expected = 20 * parts["bce"] + 0.5 * parts["iou"] + 1.0 * 1.0 + 0.1 * 3.0
    assert parts["fea"] == pytest.approx(1.0)
    assert parts["ortho"] == pytest.approx(3.0)
    assert float(total.detach()) == pytest.approx(expected, rel=1e-6)
    total.backward()
    assert net.weight.grad is not None
    assert len(conv_weights(nn.Sequential(net, nn.BatchNorm2d(1)))) == 1
