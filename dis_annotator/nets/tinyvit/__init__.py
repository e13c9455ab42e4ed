"""TinyViT, MobileSAM's image encoder, in pure torch (no timm).

One idea per file: ``config`` (sizes; torch-free so the SAM registry can name presets
without importing torch), ``conv`` (BN-folded convolutions, MBConv, patch embedding and
merging), ``attention`` (windowed attention with a learned relative-offset bias and the
TinyViT block) and ``encoder`` (the stages and SAM's 256-channel neck). Names and
state-dict keys follow ChaoningZhang/MobileSAM ``mobile_sam/modeling/tiny_vit_sam.py``,
so its ``mobile_sam.pt`` loads with ``strict=True`` (docs/adr/0110).
"""

from dis_annotator.nets.tinyvit.config import TinyViTConfig

__all__ = ["TinyViTConfig"]
