"""IS-Net's ground-truth encoder, the teacher of its intermediate supervision.

A light encoder-only IS-Net that takes a GT mask (B×1×H×W in {0, 1}) and learns to
reconstruct it from six side outputs. Once it does (max F > 0.99) it is frozen and its
six feature maps become targets for the segmentation net's ``[hx1d … hx6]``: same
channels and spatial sizes at equal ``width``. Parameter names match the official
``ISNetGTEncoder`` checkpoint at ``width=1.0``.
"""

from __future__ import annotations

import torch
from torch import nn

from dis_annotator.nets.isnet import scaled
from dis_annotator.nets.rsu import RSU4, RSU4F, RSU5, RSU6, RSU7, upsample_like


class ConvBNReLU(nn.Module):
    """The reference ``myrebnconv``: Conv + BN + ReLU with names ``conv``, ``bn``."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1)
        self.bn = nn.BatchNorm2d(out_ch)
        self.rl = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rl(self.bn(self.conv(x)))


class ISNetGTEncoder(nn.Module):
    """GT mask B×in_ch×H×W → ``(probs, feats)``.

    ``probs``: 6 sigmoid maps B×1×H×W. ``feats``: ``[hx1 … hx6]`` with (width 1) 64, 64,
    128, 256, 512, 512 channels at H/2 … H/64 — the shapes of :class:`ISNetDIS`'s
    ``[hx1d, hx2d, hx3d, hx4d, hx5d, hx6]`` at the same width.
    """

    def __init__(self, in_ch: int = 1, out_ch: int = 1, width: float = 1.0) -> None:
        super().__init__()
        self.in_ch, self.out_ch, self.width = in_ch, out_ch, width

        def c(n: int) -> int:
            return scaled(n, width)

        self.conv_in = ConvBNReLU(in_ch, c(16), stride=2)
        self.stage1 = RSU7(c(16), c(16), c(64))
        self.stage2 = RSU6(c(64), c(16), c(64))
        self.stage3 = RSU5(c(64), c(32), c(128))
        self.stage4 = RSU4(c(128), c(32), c(256))
        self.stage5 = RSU4F(c(256), c(64), c(512))
        self.stage6 = RSU4F(c(512), c(64), c(512))
        self.side1 = nn.Conv2d(c(64), out_ch, 3, padding=1)
        self.side2 = nn.Conv2d(c(64), out_ch, 3, padding=1)
        self.side3 = nn.Conv2d(c(128), out_ch, 3, padding=1)
        self.side4 = nn.Conv2d(c(256), out_ch, 3, padding=1)
        self.side5 = nn.Conv2d(c(512), out_ch, 3, padding=1)
        self.side6 = nn.Conv2d(c(512), out_ch, 3, padding=1)
        self.pool = nn.MaxPool2d(2, stride=2, ceil_mode=True)

    def forward_logits(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Like :meth:`forward` but side outputs are logits."""
        hx1 = self.stage1(self.conv_in(x))
        hx2 = self.stage2(self.pool(hx1))
        hx3 = self.stage3(self.pool(hx2))
        hx4 = self.stage4(self.pool(hx3))
        hx5 = self.stage5(self.pool(hx4))
        hx6 = self.stage6(self.pool(hx5))
        feats = [hx1, hx2, hx3, hx4, hx5, hx6]
        sides = (self.side1, self.side2, self.side3, self.side4, self.side5, self.side6)
        logits = [upsample_like(side(f), x) for side, f in zip(sides, feats, strict=True)]
        return logits, feats

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        logits, feats = self.forward_logits(x)
        return [torch.sigmoid(d) for d in logits], feats
