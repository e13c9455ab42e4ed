"""DIS-SAM / IS-Net training losses.

Total refiner loss (DIS-SAM paper, Sec. III):

    L = Σ_{k=1..6} (w_bce·BCE(d_k, G) + w_iou·IoU(d_k, G))
        + w_fea·Σ_{k=1..6} MSE(f_k, f_k^GT)
        + λ·Σ_l ‖W_l W_lᵀ − I‖

with w_bce = 20, w_iou = 0.5, w_fea = 1, λ = 1e-6 (paper; the official code uses 1e-8
with an L1 norm — both available via ``ortho_norm``). ``d_k`` are the six side outputs
(B×1×H×W logits), ``f_k`` the segmentation net's features and ``f_k^GT`` the frozen GT
encoder's features of the same shapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


def soft_iou_loss(prob: torch.Tensor, target: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """``1 − Σ p·g / Σ (p + g − p·g)`` per image, averaged: B×1×H×W in [0, 1] → scalar.

    0 for a perfect prediction, 1 when prediction and target are disjoint.
    """
    dims = tuple(range(1, prob.ndim))
    inter = (prob * target).sum(dims)
    union = (prob + target - prob * target).sum(dims)
    return (1.0 - (inter + eps) / (union + eps)).mean()


def orthogonality_loss(weights: Iterable[torch.Tensor], norm: str = "fro") -> torch.Tensor:
    """Σ over conv weights (out×in×k×k, flattened per filter to W: out×(in·k·k)) of ‖WWᵀ − I‖.

    ``norm="fro"``: Frobenius norm (paper); ``"l1"``: sum of absolute values (official
    code). Zero exactly when each layer's filters are orthonormal.
    """
    total: torch.Tensor | None = None
    for w in weights:
        m = w.reshape(w.shape[0], -1).float()
        gram = m @ m.t() - torch.eye(m.shape[0], device=m.device, dtype=m.dtype)
        term = torch.linalg.matrix_norm(gram, "fro") if norm == "fro" else gram.abs().sum()
        total = term if total is None else total + term
    if norm not in ("fro", "l1"):
        raise ValueError(f"norm must be 'fro' or 'l1', got {norm!r}")
    if total is None:
        return torch.zeros(())
    return total


def conv_weights(module: nn.Module) -> list[torch.Tensor]:
    """The weight tensors of every Conv2d in ``module`` (biases and BN excluded)."""
    return [m.weight for m in module.modules() if isinstance(m, nn.Conv2d)]


@dataclass(frozen=True)
class LossWeights:
    """Loss weights, paper defaults."""

    bce: float = 20.0
    iou: float = 0.5
    fea: float = 1.0
    ortho: float = 1e-6
    ortho_norm: str = "fro"


def side_losses(
    logits: Sequence[torch.Tensor], target: torch.Tensor, w: LossWeights
) -> tuple[torch.Tensor, torch.Tensor]:
    """(Σ_k BCE, Σ_k IoU) over the side outputs (each B×1×H×W logits vs target in [0, 1])."""
    bce = torch.zeros((), device=target.device)
    iou = torch.zeros((), device=target.device)
    for d in logits:
        d = d.float()
        bce = bce + F.binary_cross_entropy_with_logits(d, target)
        iou = iou + soft_iou_loss(torch.sigmoid(d), target)
    return bce, iou


def feature_loss(feats: Sequence[torch.Tensor], targets: Sequence[torch.Tensor]) -> torch.Tensor:
    """Σ_k MSE(feats[k], targets[k]); shapes must match pairwise."""
    total = torch.zeros((), device=feats[0].device)
    for f, t in zip(feats, targets, strict=True):
        total = total + F.mse_loss(f.float(), t.float())
    return total


def refiner_loss(
    logits: Sequence[torch.Tensor],
    feats: Sequence[torch.Tensor] | None,
    target: torch.Tensor,
    gt_feats: Sequence[torch.Tensor] | None,
    net: nn.Module | None,
    w: LossWeights = LossWeights(),
) -> tuple[torch.Tensor, dict[str, float]]:
    """Total loss and its parts (as floats, for logging).

    ``feats``/``gt_feats`` may be None (no GT encoder: the feature term is skipped);
    ``net`` is needed only when ``w.ortho > 0``.
    """
    bce, iou = side_losses(logits, target, w)
    total = w.bce * bce + w.iou * iou
    parts = {"bce": float(bce.detach()), "iou": float(iou.detach())}
    if w.fea > 0 and feats is not None and gt_feats is not None:
        fea = feature_loss(feats, gt_feats)
        total = total + w.fea * fea
        parts["fea"] = float(fea.detach())
    if w.ortho > 0 and net is not None:
        ortho = orthogonality_loss(conv_weights(net), w.ortho_norm)
        total = total + w.ortho * ortho
        parts["ortho"] = float(ortho.detach())
    parts["total"] = float(total.detach())
    return total, parts
