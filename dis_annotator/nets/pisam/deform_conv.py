"""Modulated deformable convolution (DCNv2) in pure PyTorch.

torchvision's ``deform_conv2d`` cannot be used on these machines (docs/adr/0003), so the
sampling is written with ``grid_sample``. Offsets follow torchvision's layout: for
kernel tap ``k = i * kw + j`` (row ``i``, column ``j``), channel ``2k`` is the row
(y) offset and ``2k + 1`` the column (x) offset, in input pixels.

Pixel positions ``p`` are normalised as ``(2p + 1) / size − 1`` (``align_corners=False``):
for power-of-two sizes (SAM's 64² and 256² maps) that is exact in floating point, so a
zero offset samples the input bit-exactly (the im2col equals ``F.unfold``) and the layer
equals ``F.conv2d`` up to summation order (tested).

Taps are processed one kernel row at a time and accumulated, so memory stays at ``kw``
copies of the input even for a 7×7 kernel on a 32×256×256 feature (a full im2col would be
400 MB per image).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def sample_taps(x: torch.Tensor, py: torch.Tensor, px: torch.Tensor) -> torch.Tensor:
    """Bilinear samples of ``x`` (B, C, H, W) at pixel positions py/px (B, n, H', W').

    Positions are (row, column) pixel indices; outside the image counts as zero.
    Returns (B, C, n, H', W').
    """
    b, c, h, w = x.shape
    n, ho, wo = py.shape[1:]
    gx = (2 * px + 1) / w - 1
    gy = (2 * py + 1) / h - 1
    grid = torch.stack([gx, gy], dim=-1).reshape(b, n * ho, wo, 2)  # grid_sample: (x, y)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out.view(b, c, n, ho, wo)


def deform_conv2d(
    x: torch.Tensor,
    offset: torch.Tensor,
    mask: torch.Tensor | None,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    padding: int = 0,
) -> torch.Tensor:
    """Stride-1, dilation-1 modulated deformable convolution.

    x: (B, Cin, H, W); offset: (B, 2·kh·kw, Hout, Wout); mask: (B, kh·kw, Hout, Wout) or
    None; weight: (Cout, Cin, kh, kw); bias: (Cout,). Returns (B, Cout, Hout, Wout) with
    ``Hout = H + 2·padding − kh + 1`` (same for W).
    """
    b, _, h, w = x.shape
    cout, cin, kh, kw = weight.shape
    hout = h + 2 * padding - kh + 1
    wout = w + 2 * padding - kw + 1
    if offset.shape != (b, 2 * kh * kw, hout, wout):
        raise ValueError(f"offset shape {tuple(offset.shape)} does not fit the kernel/output")
    rows = torch.arange(hout, device=x.device, dtype=x.dtype).view(1, 1, hout, 1)
    cols = torch.arange(wout, device=x.device, dtype=x.dtype).view(1, 1, 1, wout)
    taps_j = torch.arange(kw, device=x.device, dtype=x.dtype).view(1, kw, 1, 1) - padding
    out = None
    for i in range(kh):
        k0, k1 = i * kw, (i + 1) * kw
        py = rows + (i - padding) + offset[:, 2 * k0 : 2 * k1 : 2]
        px = cols + taps_j + offset[:, 2 * k0 + 1 : 2 * k1 : 2]
        sampled = sample_taps(x, py, px)  # (B, Cin, kw, Hout, Wout)
        if mask is not None:
            sampled = sampled * mask[:, k0:k1].unsqueeze(1)
        term = torch.einsum("ocn,bcnhw->bohw", weight[:, :, i, :], sampled)
        out = term if out is None else out + term
    assert out is not None
    if bias is not None:
        out = out + bias.view(1, cout, 1, 1)
    return out


class ModulatedDeformConv2d(nn.Module):
    """DCNv2 layer: offsets and modulation predicted from the input by their own convs.

    Both predictor convs start at zero, and the modulator is ``2·sigmoid`` so it starts at
    exactly 1: a fresh layer is an ordinary ``k×k`` convolution (padding ``k // 2``).
    Input (B, Cin, H, W) → output (B, Cout, H, W).
    """

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, bias: bool = False) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError("kernel_size must be odd")
        self.kernel_size = kernel_size
        self.padding = kernel_size // 2
        taps = kernel_size * kernel_size
        self.offset_conv = nn.Conv2d(in_ch, 2 * taps, kernel_size, padding=self.padding)
        self.modulator_conv = nn.Conv2d(in_ch, taps, kernel_size, padding=self.padding)
        self.regular_conv = nn.Conv2d(
            in_ch, out_ch, kernel_size, padding=self.padding, bias=bias
        )
        for conv in (self.offset_conv, self.modulator_conv):
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        offset = self.offset_conv(x)
        modulator = 2.0 * torch.sigmoid(self.modulator_conv(x))
        return deform_conv2d(
            x, offset, modulator, self.regular_conv.weight, self.regular_conv.bias, self.padding
        )


def plain_conv_equivalent(layer: ModulatedDeformConv2d, x: torch.Tensor) -> torch.Tensor:
    """What ``layer`` computes with zero offsets and unit modulation: ``F.conv2d``."""
    conv = layer.regular_conv
    return F.conv2d(x, conv.weight, conv.bias, padding=layer.padding)
