"""Residual U-blocks (RSU) of U²-Net / IS-Net, parameter names as the official code.

Every block maps ``B×in_ch×H×W`` to ``B×out_ch×H×W``: an input conv (``rebnconvin``),
a small U-Net of ``REBNCONV`` units with ``mid_ch`` channels (2×2 ceil-mode max-pools
going down, bilinear upsampling coming up), and a residual ``decoder_out + input_conv``.
``RSU4F`` replaces pooling by dilations 1, 2, 4, 8 (for the coarsest stages, where the
feature map is already small). Attribute names (``rebnconvin``, ``rebnconv1``…,
``rebnconv1d``, ``conv_s1``, ``bn_s1``) match the released IS-Net / DIS-SAM checkpoints.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def upsample_like(src: torch.Tensor, tar: torch.Tensor) -> torch.Tensor:
    """Bilinear resize of ``src`` (B×C×h×w) to ``tar``'s spatial size (as the reference)."""
    return F.interpolate(src, size=tar.shape[2:], mode="bilinear", align_corners=False)


class REBNCONV(nn.Module):
    """Conv3×3 (dilation ``dirate``) + BatchNorm + ReLU: B×in_ch×H×W → B×out_ch×H'×W'."""

    def __init__(self, in_ch: int, out_ch: int, dirate: int = 1, stride: int = 1) -> None:
        super().__init__()
        self.conv_s1 = nn.Conv2d(
            in_ch, out_ch, 3, padding=dirate, dilation=dirate, stride=stride
        )
        self.bn_s1 = nn.BatchNorm2d(out_ch)
        self.relu_s1 = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu_s1(self.bn_s1(self.conv_s1(x)))


class RSU(nn.Module):
    """RSU-L with ``depth`` = L (7, 6, 5 or 4): a U-Net of height L inside one block.

    Encoder units ``rebnconv1..rebnconv{L-1}`` (pooling between them), a dilated
    bottom unit ``rebnconv{L}``, decoder units ``rebnconv{L-1}d..rebnconv1d`` on
    ``concat(upsampled deeper, skip)``. Shapes: B×in_ch×H×W → B×out_ch×H×W.
    """

    def __init__(self, depth: int, in_ch: int, mid_ch: int, out_ch: int) -> None:
        super().__init__()
        if depth < 3:
            raise ValueError(f"RSU depth must be >= 3, got {depth}")
        self.depth = depth
        self.rebnconvin = REBNCONV(in_ch, out_ch)
        self.rebnconv1 = REBNCONV(out_ch, mid_ch)
        for i in range(2, depth):
            setattr(self, f"rebnconv{i}", REBNCONV(mid_ch, mid_ch))
        setattr(self, f"rebnconv{depth}", REBNCONV(mid_ch, mid_ch, dirate=2))
        for i in range(depth - 1, 1, -1):
            setattr(self, f"rebnconv{i}d", REBNCONV(mid_ch * 2, mid_ch))
        self.rebnconv1d = REBNCONV(mid_ch * 2, out_ch)
        self.pool = nn.MaxPool2d(2, stride=2, ceil_mode=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hxin = self.rebnconvin(x)
        skips = [self.rebnconv1(hxin)]
        for i in range(2, self.depth):
            skips.append(getattr(self, f"rebnconv{i}")(self.pool(skips[-1])))
        hx = getattr(self, f"rebnconv{self.depth}")(skips[-1])
        for i in range(self.depth - 1, 0, -1):
            skip = skips[i - 1]
            if hx.shape[2:] != skip.shape[2:]:
                hx = upsample_like(hx, skip)
            hx = getattr(self, f"rebnconv{i}d")(torch.cat((hx, skip), 1))
        return hx + hxin


class RSU7(RSU):
    def __init__(self, in_ch: int, mid_ch: int, out_ch: int) -> None:
        super().__init__(7, in_ch, mid_ch, out_ch)


class RSU6(RSU):
    def __init__(self, in_ch: int, mid_ch: int, out_ch: int) -> None:
        super().__init__(6, in_ch, mid_ch, out_ch)


class RSU5(RSU):
    def __init__(self, in_ch: int, mid_ch: int, out_ch: int) -> None:
        super().__init__(5, in_ch, mid_ch, out_ch)


class RSU4(RSU):
    def __init__(self, in_ch: int, mid_ch: int, out_ch: int) -> None:
        super().__init__(4, in_ch, mid_ch, out_ch)


class RSU4F(nn.Module):
    """RSU-4F: dilations 1, 2, 4, 8 at full block resolution (no pooling).

    Shapes: B×in_ch×H×W → B×out_ch×H×W.
    """

    def __init__(self, in_ch: int, mid_ch: int, out_ch: int) -> None:
        super().__init__()
        self.rebnconvin = REBNCONV(in_ch, out_ch)
        self.rebnconv1 = REBNCONV(out_ch, mid_ch)
        self.rebnconv2 = REBNCONV(mid_ch, mid_ch, dirate=2)
        self.rebnconv3 = REBNCONV(mid_ch, mid_ch, dirate=4)
        self.rebnconv4 = REBNCONV(mid_ch, mid_ch, dirate=8)
        self.rebnconv3d = REBNCONV(mid_ch * 2, mid_ch, dirate=4)
        self.rebnconv2d = REBNCONV(mid_ch * 2, mid_ch, dirate=2)
        self.rebnconv1d = REBNCONV(mid_ch * 2, out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hxin = self.rebnconvin(x)
        hx1 = self.rebnconv1(hxin)
        hx2 = self.rebnconv2(hx1)
        hx3 = self.rebnconv3(hx2)
        hx4 = self.rebnconv4(hx3)
        hx3d = self.rebnconv3d(torch.cat((hx4, hx3), 1))
        hx2d = self.rebnconv2d(torch.cat((hx3d, hx2), 1))
        hx1d = self.rebnconv1d(torch.cat((hx2d, hx1), 1))
        return hx1d + hxin
