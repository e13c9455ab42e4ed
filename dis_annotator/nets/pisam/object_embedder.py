"""Pi-SAM's Object Embedder: puts the coarse mask into the mask feature, widens context.

concat(feature 32, coarse mask 1) → 1×1 conv + 3×3 conv (each LayerNorm2d + GELU) = x;
two modulated deformable branches (3×3 and 7×7) on x model how a pixel relates to
repeated structures around it (an ASPP-like block, paper §3.2); concat [x, b3, b7] → 1×1
conv (+ LayerNorm2d) back to 32 channels.
"""

from __future__ import annotations

import torch
from torch import nn

from dis_annotator.nets.pisam.deform_conv import ModulatedDeformConv2d
from dis_annotator.nets.sam_import import LayerNorm2d


class _DeformBranch(nn.Module):
    def __init__(self, ch: int, k: int) -> None:
        super().__init__()
        self.conv = ModulatedDeformConv2d(ch, ch, k)
        self.norm = LayerNorm2d(ch)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


class ObjectEmbedder(nn.Module):
    """(feature (B,C,S,S), coarse_prob (B,1,S,S) in [0,1]) → (B,C,S,S)."""

    def __init__(self, ch: int = 32) -> None:
        super().__init__()
        self.mask_embedding = nn.Sequential(
            nn.Conv2d(ch + 1, ch, 1),
            LayerNorm2d(ch),
            nn.GELU(),
            nn.Conv2d(ch, ch, 3, padding=1),
            LayerNorm2d(ch),
            nn.GELU(),
        )
        self.branch3 = _DeformBranch(ch, 3)
        self.branch7 = _DeformBranch(ch, 7)
        self.conv_out = nn.Sequential(nn.Conv2d(3 * ch, ch, 1, bias=False), LayerNorm2d(ch))

    def forward(self, feature: torch.Tensor, coarse_prob: torch.Tensor) -> torch.Tensor:
        x = self.mask_embedding(torch.cat([feature, coarse_prob], dim=1))
        return self.conv_out(torch.cat([x, self.branch3(x), self.branch7(x)], dim=1))
