"""A tiny random-weight SAM with the real architecture, for tests, CPU proofs, benchmarks.

Same classes and code paths as vit_b/l/h (``engine/sam_model.build_sam``), just small:
``image_size`` 256 gives a 16² embedding, SAM's low-res mask at 64² and Pi-SAM's HR
output at 256² (real SAM: 64², 256², 1024²).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from dis_annotator.engine.sam_model import SamConfig, build_sam

if TYPE_CHECKING:
    from dis_annotator.engine.sam_backbone import SamBackbone

TINY_SAM = SamConfig(
    encoder_embed_dim=32,
    encoder_depth=2,
    encoder_num_heads=2,
    encoder_global_attn_indexes=(1,),
    image_size=256,
    window_size=4,
    model_type="tiny",
)


def build_tiny_sam(seed: int = 0, image_size: int = 256) -> Any:
    """Random tiny SAM; ``image_size`` must be a multiple of 64 (window 4 × patch 16)."""
    from dataclasses import replace

    torch.manual_seed(seed)
    return build_sam(replace(TINY_SAM, image_size=image_size))


def tiny_backbone(seed: int = 0, device: str = "cpu", image_size: int = 256) -> SamBackbone:
    """A real :class:`SamBackbone` over a tiny random SAM (model_type ``tiny``)."""
    from dis_annotator.engine.sam_backbone import SamBackbone

    return SamBackbone(build_tiny_sam(seed, image_size), "tiny", device)
