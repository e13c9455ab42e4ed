"""TinyViT's convolutional parts: Conv+BN, MBConv, patch embedding, patch merging.

State-dict names follow the official code (``c``/``bn`` inside every Conv2d_BN,
``seq.0``/``seq.2`` in the patch embedding) so the published checkpoint loads strictly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Conv2dBN(nn.Sequential):
    """Bias-free convolution followed by BatchNorm (keys ``c.*`` and ``bn.*``).

    ``bn_weight_init`` 0 makes a residual branch start as the identity (MBConv's last conv).
    """

    def __init__(
        self, cin: int, cout: int, ks: int = 1, stride: int = 1, pad: int = 0,
        groups: int = 1, bn_weight_init: float = 1.0,
    ) -> None:
        super().__init__()
        self.add_module("c", nn.Conv2d(cin, cout, ks, stride, pad, groups=groups, bias=False))
        bn = nn.BatchNorm2d(cout)
        nn.init.constant_(bn.weight, bn_weight_init)
        nn.init.constant_(bn.bias, 0.0)
        self.add_module("bn", bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return super().forward(x)
        # Inference: BatchNorm folded into the convolution (one pass over the activations
        # instead of two); the weights are folded per call, so the state dict is unchanged.
        c, bn = self.c, self.bn
        scale = bn.weight.float() * torch.rsqrt(bn.running_var.float() + bn.eps)
        w = (c.weight.float() * scale[:, None, None, None]).to(x.dtype)
        b = (bn.bias.float() - bn.running_mean.float() * scale).to(x.dtype)
        return F.conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups)


class DropPath(nn.Module):
    """Stochastic depth: drops a whole residual branch per sample while training.

    The identity at inference; kept so training code can use the same modules.
    """

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = float(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask / keep


def drop_path(p: float) -> nn.Module:
    """A parameter-free module either way, so state-dict keys do not depend on ``p``."""
    return DropPath(p) if p > 0.0 else nn.Identity()


class LayerNorm2d(nn.Module):
    """LayerNorm over the channels of (B, C, H, W), as in SAM's neck (eps 1e-6)."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class PatchEmbed(nn.Module):
    """(B, 3, S, S) → (B, dim, S/4, S/4): two stride-2 3×3 Conv+BN with GELU between."""

    def __init__(self, in_chans: int, dim: int) -> None:
        super().__init__()
        self.seq = nn.Sequential(
            Conv2dBN(in_chans, dim // 2, 3, 2, 1),
            nn.GELU(),
            Conv2dBN(dim // 2, dim, 3, 2, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.seq(x)


class MBConv(nn.Module):
    """Inverted residual (1×1 expand, 3×3 depthwise, 1×1 project); (B, C, H, W) → same."""

    def __init__(self, dim: int, expand_ratio: float, p_drop: float = 0.0) -> None:
        super().__init__()
        hidden = int(dim * expand_ratio)
        self.conv1 = Conv2dBN(dim, hidden, ks=1)
        self.act1 = nn.GELU()
        self.conv2 = Conv2dBN(hidden, hidden, ks=3, stride=1, pad=1, groups=hidden)
        self.act2 = nn.GELU()
        self.conv3 = Conv2dBN(hidden, dim, ks=1, bn_weight_init=0.0)
        self.act3 = nn.GELU()
        self.drop_path = drop_path(p_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act1(self.conv1(x))
        y = self.act2(self.conv2(y))
        y = self.drop_path(self.conv3(y))
        return self.act3(x + y)


class PatchMerging(nn.Module):
    """Change width (and halve the grid when ``stride`` is 2) between two stages.

    Input (B, C, H, W) or tokens (B, H·W, C) on ``resolution`` = (H, W); output tokens
    (B, H'·W', out_dim) with H' = ceil(H / stride).
    """

    def __init__(self, resolution: tuple[int, int], dim: int, out_dim: int, stride: int) -> None:
        super().__init__()
        self.resolution = resolution
        self.act = nn.GELU()
        self.conv1 = Conv2dBN(dim, out_dim, 1, 1, 0)
        self.conv2 = Conv2dBN(out_dim, out_dim, 3, stride, 1, groups=out_dim)
        self.conv3 = Conv2dBN(out_dim, out_dim, 1, 1, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 3:
            h, w = self.resolution
            x = x.view(x.shape[0], h, w, -1).permute(0, 3, 1, 2)
        x = self.act(self.conv1(x))
        x = self.act(self.conv2(x))
        x = self.conv3(x)
        return x.flatten(2).transpose(1, 2)
