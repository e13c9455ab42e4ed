"""Build a Segment Anything model from a size preset or an explicit config, load weights.

The construction mirrors ``segment_anything.build_sam._build_sam`` (same classes, same
arguments) but takes the encoder size as data, so tests can build a tiny SAM with the
real classes and the manager can tell vit_b/l/h apart from a checkpoint's shapes.
``vit_t`` is MobileSAM: SAM's own prompt encoder and mask decoder on a TinyViT image
encoder (``nets/tinyvit``), as ChaoningZhang/MobileSAM's ``build_sam_vit_t`` assembles it.
Weights are always loaded through :mod:`dis_annotator.engine.checkpoint` (safe unpickling,
strict keys).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

from dis_annotator.engine.checkpoint import load_checkpoint, load_into, state_dict_of
from dis_annotator.engine.errors import WeightsError
from dis_annotator.nets.tinyvit.config import TinyViTConfig


@dataclass(frozen=True)
class SamConfig:
    """Encoder size (and, for tiny test models only, the decoder width).

    ``tiny_vit`` set: the image encoder is TinyViT of that size (MobileSAM) and the ViT
    fields are unused.
    """

    encoder_embed_dim: int = 768
    encoder_depth: int = 12
    encoder_num_heads: int = 12
    encoder_global_attn_indexes: tuple[int, ...] = (2, 5, 8, 11)
    image_size: int = 1024
    patch_size: int = 16
    window_size: int = 14
    prompt_embed_dim: int = 256
    decoder_mlp_dim: int = 2048
    model_type: str = "vit_b"
    tiny_vit: TinyViTConfig | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["encoder_global_attn_indexes"] = list(self.encoder_global_attn_indexes)
        d["tiny_vit"] = self.tiny_vit.to_dict() if self.tiny_vit is not None else None
        d.pop("extra")
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> SamConfig:
        known = {k: v for k, v in d.items() if k in SamConfig.__dataclass_fields__ and k != "extra"}
        if "encoder_global_attn_indexes" in known:
            known["encoder_global_attn_indexes"] = tuple(int(i) for i in known["encoder_global_attn_indexes"])
        if known.get("tiny_vit") is not None:
            known["tiny_vit"] = TinyViTConfig.from_dict(dict(known["tiny_vit"]))
        return SamConfig(**known)


PRESETS: dict[str, SamConfig] = {
    "vit_b": SamConfig(768, 12, 12, (2, 5, 8, 11), model_type="vit_b"),
    "vit_l": SamConfig(1024, 24, 16, (5, 11, 17, 23), model_type="vit_l"),
    "vit_h": SamConfig(1280, 32, 16, (7, 15, 23, 31), model_type="vit_h"),
    "vit_t": SamConfig(model_type="vit_t", tiny_vit=TinyViTConfig()),
}
"""Official sizes; prompt encoder and mask decoder (width 256) are the same for all."""
_BY_EMBED_DIM = {c.encoder_embed_dim: c for c in PRESETS.values() if c.tiny_vit is None}
# Keys only TinyViT (MobileSAM) has; the ViT's first key is patch_embed.proj.weight.
TINY_VIT_KEY = "image_encoder.patch_embed.seq.0.c.weight"


def _tiny_vit_encoder(config: SamConfig) -> Any:
    """MobileSAM's image encoder: (B, 3, S, S) → (B, prompt_embed_dim, S/16, S/16)."""
    from dis_annotator.nets.tinyvit.encoder import TinyViT

    assert config.tiny_vit is not None
    return TinyViT(config.tiny_vit, img_size=config.image_size, out_chans=config.prompt_embed_dim)


def build_sam(config: SamConfig) -> Any:
    """A randomly initialised ``segment_anything.modeling.Sam`` in eval mode."""
    import torch

    from dis_annotator.nets.sam_import import (
        ImageEncoderViT,
        MaskDecoder,
        PromptEncoder,
        Sam,
        TwoWayTransformer,
    )

    emb = config.image_size // config.patch_size
    dim = config.prompt_embed_dim
    sam = Sam(
        image_encoder=ImageEncoderViT(
            depth=config.encoder_depth,
            embed_dim=config.encoder_embed_dim,
            img_size=config.image_size,
            mlp_ratio=4,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=config.encoder_num_heads,
            patch_size=config.patch_size,
            qkv_bias=True,
            use_rel_pos=True,
            global_attn_indexes=list(config.encoder_global_attn_indexes),
            window_size=config.window_size,
            out_chans=dim,
        ) if config.tiny_vit is None else _tiny_vit_encoder(config),
        prompt_encoder=PromptEncoder(
            embed_dim=dim,
            image_embedding_size=(emb, emb),
            input_image_size=(config.image_size, config.image_size),
            mask_in_chans=16,
        ),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3,
            transformer=TwoWayTransformer(
                depth=2, embedding_dim=dim, mlp_dim=config.decoder_mlp_dim, num_heads=8
            ),
            transformer_dim=dim,
            iou_head_depth=3,
            iou_head_hidden_dim=256,
        ),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375],
    )
    sam.eval()
    return sam


def model_label(model_type: str) -> str:
    """The model as provenance names it: ``segment-anything vit_b``, ``MobileSAM vit_t``."""
    if model_type == "vit_t":
        return "MobileSAM vit_t (TinyViT encoder, SAM decoder)"
    return f"segment-anything {model_type}"


def infer_config(state_dict: dict[str, Any]) -> SamConfig:
    """Which preset a bare SAM state dict belongs to (from the patch-embedding width;
    a TinyViT patch embedding means MobileSAM, vit_t)."""
    if TINY_VIT_KEY in state_dict:
        return PRESETS["vit_t"]
    w = state_dict.get("image_encoder.patch_embed.proj.weight")
    if w is None or not hasattr(w, "shape"):
        raise WeightsError("not a SAM checkpoint (no image_encoder.patch_embed.proj.weight)")
    dim = int(w.shape[0])
    if dim not in _BY_EMBED_DIM:
        raise WeightsError(f"SAM checkpoint with encoder width {dim} is not vit_b/l/h")
    return _BY_EMBED_DIM[dim]


def load_sam(path: str | os.PathLike[str]) -> tuple[Any, SamConfig]:
    """Build the matching architecture and load ``path`` strictly; returns ``(sam, config)``.

    Accepts official bare state dicts (vit_b/l/h told apart by shape, MobileSAM's vit_t
    by its TinyViT keys) and this project's
    format with ``kind == "sam"`` and the config in ``config`` (tiny test models).
    """
    obj = load_checkpoint(path)
    if isinstance(obj, dict) and obj.get("format") and obj.get("kind") != "sam":
        raise WeightsError(f"{os.fspath(path)}: a {obj.get('kind')!r} checkpoint, not SAM")
    sd = state_dict_of(obj)
    if isinstance(obj, dict) and obj.get("kind") == "sam" and obj.get("config"):
        config = SamConfig.from_dict(dict(obj["config"]))
    else:
        config = infer_config(sd)
    sam = build_sam(config)
    load_into(sam, sd, f"SAM {config.model_type} ({os.path.basename(os.fspath(path))})")
    return sam, config
