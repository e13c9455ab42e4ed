"""A tiny random-weight SAM with the real architecture, and the Pi-SAM encoder pass.

Used by the tests, the CPU proofs and the latency benchmark: the same code paths as the
real vit_b/l/h models (official classes from ``segment_anything``), just small —
``img_size`` 256 gives a 16² embedding, SAM's low-res mask at 64² and Pi-SAM's HR
output at 256² (real SAM: 64², 256², 1024²).
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn

from dis_annotator.nets.sam_import import (
    ImageEncoderViT,
    MaskDecoder,
    PromptEncoder,
    Sam,
    TwoWayTransformer,
)


def build_tiny_sam(
    seed: int = 0, img_size: int = 256, embed_dim: int = 32, depth: int = 2
) -> Sam:
    """Random SAM: ViT with ``depth`` blocks (last one global), full-size prompt/mask decoder."""
    torch.manual_seed(seed)
    side = img_size // 16
    encoder = ImageEncoderViT(
        depth=depth,
        embed_dim=embed_dim,
        img_size=img_size,
        mlp_ratio=2,
        norm_layer=partial(nn.LayerNorm, eps=1e-6),
        num_heads=2,
        patch_size=16,
        qkv_bias=True,
        use_rel_pos=True,
        global_attn_indexes=(depth - 1,),
        window_size=4,
        out_chans=256,
    )
    sam = Sam(
        image_encoder=encoder,
        prompt_encoder=PromptEncoder(
            embed_dim=256,
            image_embedding_size=(side, side),
            input_image_size=(img_size, img_size),
            mask_in_chans=16,
        ),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3,
            transformer=TwoWayTransformer(depth=2, embedding_dim=256, mlp_dim=512, num_heads=8),
            transformer_dim=256,
            iou_head_depth=3,
            iou_head_hidden_dim=256,
        ),
    )
    return sam.eval()


def first_global_block(sam: Sam) -> nn.Module:
    """The encoder's first global-attention block (window_size 0): HQ-SAM's early feature."""
    for block in sam.image_encoder.blocks:
        if block.window_size == 0:
            return block
    raise ValueError("the image encoder has no global-attention block")


@torch.no_grad()
def encode_frame(sam: Sam, frame_image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """frame_image (B, 3, F, F) normalised → (features (B,256,s,s), interm (B,s,s,Cvit))."""
    captured: list[torch.Tensor] = []
    handle = first_global_block(sam).register_forward_hook(
        lambda _m, _i, out: captured.append(out)
    )
    try:
        features = sam.image_encoder(frame_image)
    finally:
        handle.remove()
    return features, captured[0]


class TinyEmbedding:
    """The fields Pi-SAM reads from a SAM stage's embedding (see engine/pisam_stage.py)."""

    def __init__(self, features, interm, original_size, input_size, offset=(0, 0)) -> None:
        self.features = features
        self.interm = interm
        self.original_size = original_size
        self.input_size = input_size
        self.offset = offset


class TinySamEmbedder:
    """Embedding provider over any ``Sam`` (whole image, no crop), cached per image key.

    Gives Pi-SAM what the SAM stage gives it (``model``, ``device``, ``embedding``), for
    tests and benchmarks that must not depend on SAM weights being installed.
    """

    name = "sam-tiny"
    learned = True

    def __init__(self, sam: Sam, device: str = "cpu") -> None:
        self.model = sam.to(device)
        self.device = device
        self._cache: dict[str, TinyEmbedding] = {}

    def prepare(self, image, is_current=None) -> None:
        self.embedding(image)

    def embedding(self, image) -> TinyEmbedding:
        from dis_annotator.nets.pisam.frame import image_to_frame, resized_shape

        hit = self._cache.get(image.key)
        if hit is None:
            frame = int(self.model.image_encoder.img_size)
            x = image_to_frame(torch.from_numpy(image.array).to(self.device), frame)
            features, interm = encode_frame(self.model, x)
            hit = TinyEmbedding(
                features, interm, (image.height, image.width),
                resized_shape(image.height, image.width, frame),
            )
            self._cache = {image.key: hit}
        return hit
