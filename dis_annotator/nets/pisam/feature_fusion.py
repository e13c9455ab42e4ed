"""HQ-SAM-style 32-channel mask feature: SAM's own feature plus early ViT detail.

Pi-SAM starts from HQ-SAM's fused feature (FACTS.md): SAM's upscaled mask feature
(semantic, 256²) refined by two convs, plus the encoder's final embedding and the output
of its first global-attention block (``interm``, low-level detail), each brought to
32 channels at 4× the embedding side by two transposed convs.
"""

from __future__ import annotations

import torch
from torch import nn

from dis_annotator.nets.sam_import import LayerNorm2d


class FeatureFusion(nn.Module):
    """(upscaled (B,32,4s,4s), embeddings (B,256,s,s), interm (B,s,s,Cvit)) → (B,32,4s,4s)."""

    def __init__(self, vit_dim: int, transformer_dim: int = 256, ch: int = 32) -> None:
        super().__init__()
        self.compress_vit_feat = nn.Sequential(
            nn.ConvTranspose2d(vit_dim, transformer_dim, 2, stride=2),
            LayerNorm2d(transformer_dim),
            nn.GELU(),
            nn.ConvTranspose2d(transformer_dim, ch, 2, stride=2),
        )
        self.embedding_encoder = nn.Sequential(
            nn.ConvTranspose2d(transformer_dim, transformer_dim // 4, 2, stride=2),
            LayerNorm2d(transformer_dim // 4),
            nn.GELU(),
            nn.ConvTranspose2d(transformer_dim // 4, ch, 2, stride=2),
        )
        self.embedding_maskfeature = nn.Sequential(
            nn.Conv2d(ch, 2 * ch, 3, padding=1),
            LayerNorm2d(2 * ch),
            nn.GELU(),
            nn.Conv2d(2 * ch, ch, 3, padding=1),
        )

    def forward(
        self, upscaled: torch.Tensor, embeddings: torch.Tensor, interm: torch.Tensor
    ) -> torch.Tensor:
        vit = self.compress_vit_feat(interm.permute(0, 3, 1, 2))
        return self.embedding_maskfeature(upscaled) + self.embedding_encoder(embeddings) + vit
