"""Pi-SAM's HR-Conv head: 4× transposed-conv upsampling + RGB embedding + conv output.

The official code builds its RGB embedding outside the trained decoder, so it is never
trained nor saved and released weights depend on a random seed (FACTS.md). Here it is a
submodule of the head: trained in stage 1 and saved in the checkpoint with everything else.

Shapes: feature (B, 32, S, S), image (B, 3, 4S, 4S) normalised like SAM's input frame
→ logits (B, 1, 4S, 4S). With SAM's 256² feature the output is 1024².
"""

from __future__ import annotations

import torch
from torch import nn

from dis_annotator.nets.sam_import import LayerNorm2d


class HRConvHead(nn.Module):
    def __init__(self, ch: int = 32) -> None:
        super().__init__()
        mid, out = ch // 2, ch // 4
        self.upscale = nn.Sequential(
            nn.ConvTranspose2d(ch, mid, 2, stride=2),
            LayerNorm2d(mid),
            nn.GELU(),
            nn.ConvTranspose2d(mid, out, 2, stride=2),
        )
        self.rgb_embed = nn.Sequential(
            nn.Conv2d(3, out, 1),
            nn.GELU(),
            nn.Conv2d(out, out, 3, padding=1),
        )
        self.out = nn.Sequential(
            LayerNorm2d(out),
            nn.Conv2d(out, out, 3, padding=1),
            LayerNorm2d(out),
            nn.GELU(),
            nn.Conv2d(out, 1, 3, padding=1),
        )

    def forward(
        self, feature: torch.Tensor, image: torch.Tensor, rgb: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``rgb``: ``self.rgb_embed(image)`` when already computed (it does not depend on
        clicks, so the corrector computes it once per box)."""
        x = self.upscale(feature)
        if image.shape[-2:] != x.shape[-2:]:
            raise ValueError(
                f"image {tuple(image.shape[-2:])} must be 4× the feature {tuple(feature.shape[-2:])}"
            )
        return self.out(x + (self.rgb_embed(image) if rgb is None else rgb))
