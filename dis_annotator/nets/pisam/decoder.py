"""Pi-SAM's trainable part: HR mask decoder (fusion + Object Embedder + HR-Conv head)
and the optional Precise Interactor, on top of a frozen SAM decoder pass.

Only this module's parameters (and the interactor's Fourier buffer) go into a Pi-SAM
checkpoint; SAM's own weights come from the official SAM checkpoint.

Shapes (real SAM: s = 64, S = 4s = 256, frame F = 4S = 1024; the tests use s = 16):
    embeddings (B, 256, s, s), interm (B, s, s, Cvit) → feature (B, 32, S, S)
    image (B, 3, F, F) normalised SAM frame; coords (B, N, 2) (x, y) frame pixels
    → logits (B, 1, F, F)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from dis_annotator.nets.pisam.feature_fusion import FeatureFusion
from dis_annotator.nets.pisam.hr_head import HRConvHead
from dis_annotator.nets.pisam.interactor import PreciseInteractor
from dis_annotator.nets.pisam.object_embedder import ObjectEmbedder
from dis_annotator.nets.pisam.sam_decoder_ext import SamDecoderOutput


@dataclass
class ObjectFeatures:
    """What a box prompt yields once; every click reuses it.

    feature (B, 32, S, S) after the Object Embedder; object_token (B, 32);
    coarse_logits (B, 1, S, S) SAM's own low-res mask.
    """

    feature: torch.Tensor
    object_token: torch.Tensor
    coarse_logits: torch.Tensor
    rgb: torch.Tensor | None = None  # head.rgb_embed(image), cached by inference callers


class PiSamDecoder(nn.Module):
    """Trainable Pi-SAM modules. ``stage`` 1 trains all but the interactor, 2 only it."""

    def __init__(self, vit_dim: int, ch: int = 32, interactor_depth: int = 2) -> None:
        super().__init__()
        self.vit_dim = vit_dim
        self.ch = ch
        self.interactor_depth = interactor_depth
        self.fusion = FeatureFusion(vit_dim, ch=ch)
        self.embedder = ObjectEmbedder(ch)
        self.head = HRConvHead(ch)
        self.interactor = PreciseInteractor(ch, depth=interactor_depth)

    def config(self) -> dict[str, Any]:
        return {"vit_dim": self.vit_dim, "ch": self.ch, "interactor_depth": self.interactor_depth}

    def set_stage(self, stage: int) -> None:
        """requires_grad for training ``stage`` (1: HR decoder, 2: interactor only)."""
        if stage not in (1, 2):
            raise ValueError(f"stage must be 1 or 2, got {stage}")
        for name, p in self.named_parameters():
            p.requires_grad_((stage == 2) == name.startswith("interactor."))

    def embed(
        self, sam_out: SamDecoderOutput, embeddings: torch.Tensor, interm: torch.Tensor
    ) -> ObjectFeatures:
        """Fuse SAM's feature with ViT detail and embed the coarse mask (first mask token)."""
        coarse = sam_out.masks[:, :1]
        fused = self.fusion(sam_out.upscaled, embeddings, interm)
        feature = self.embedder(fused, torch.sigmoid(coarse))
        return ObjectFeatures(feature, sam_out.object_token[:, 0], coarse)

    def predict(
        self,
        obj: ObjectFeatures,
        image: torch.Tensor,
        coords: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """HR logits (B, 1, F, F); clicks (if any) go through the interactor first."""
        feature = obj.feature
        if coords is not None and labels is not None and coords.shape[1] > 0:
            frame = float(image.shape[-1])
            feature = feature + self.interactor(
                feature, obj.object_token, coords, labels, frame
            )
        return self.head(feature, image, obj.rgb)

    def forward(
        self,
        sam_out: SamDecoderOutput,
        embeddings: torch.Tensor,
        interm: torch.Tensor,
        image: torch.Tensor,
        coords: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return self.predict(self.embed(sam_out, embeddings, interm), image, coords, labels)
