"""A tiny random-weight SAM built from segment_anything's own classes (for fast tests).

The image encoder is shrunk (width 32, 1 head, 2 blocks, the second with global attention); the
prompt encoder and mask decoder are SAM's classes at width 64 (official: 256), with the
official 1024 input, 64×64 embedding grid and 256² low-res logits.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from dis_annotator.engine.checkpoint import save_checkpoint
from dis_annotator.engine.sam_model import SamConfig, build_sam
from dis_annotator.nets.tinyvit.config import TinyViTConfig

TINY = SamConfig(
    encoder_embed_dim=32,
    encoder_depth=2,
    encoder_num_heads=1,
    encoder_global_attn_indexes=(1,),
    # A narrow decoder keeps tests fast on 2 busy cores; the slow test covers width 256.
    prompt_embed_dim=64,
    decoder_mlp_dim=256,
    model_type="vit_b",
)


def sam_stage(sam, model_type: str = "vit_b", device: str = "cpu", **backbone_options):
    """A SAM coarse stage on its own backbone (what the factory builds, minus Pi-SAM)."""
    from dis_annotator.engine.sam_backbone import SamBackbone
    from dis_annotator.engine.sam_stage import SamCoarseStage

    return SamCoarseStage(SamBackbone(sam, model_type, device, **backbone_options))


def tiny_sam(seed: int = 0):
    torch.manual_seed(seed)
    sam = build_sam(TINY)
    # Random init leaves SAM's decoder near-constant; a larger spread gives masks with
    # real structure, so equality tests compare something non-trivial.
    with torch.no_grad():
        for name, p in sam.named_parameters():
            if name.endswith("weight") and p.dim() > 1 and "mask_decoder" in name:
                p.mul_(2.0)
    return sam


def save_tiny(path: Path, seed: int = 0) -> Path:
    sam = tiny_sam(seed)
    save_checkpoint(path, "sam", sam.state_dict(), config=TINY.to_dict(), meta={"test": True})
    return path


def make_image(h: int = 240, w: int = 320, seed: int = 0) -> np.ndarray:
    """Smooth blobs plus noise: enough texture for non-trivial embeddings."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), dtype=np.float64)
    img[..., 0] = 128 + 100 * np.sin(xx / 17.0)
    img[..., 1] = 128 + 100 * np.cos(yy / 23.0)
    img[..., 2] = np.where((xx - w / 2) ** 2 + (yy - h / 2) ** 2 < (min(h, w) / 4) ** 2, 230, 30)
    img += rng.normal(0, 10, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


_FEATURES: dict = {}


def reference_predict(
    sam,
    image: np.ndarray,
    box: np.ndarray | None = None,
    points: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    mask_input: np.ndarray | None = None,
    multimask: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(logits C×H×W, iou C, low-res C×256×256) from ``SamPredictor`` where torchvision
    works, else from the same model calls SamPredictor makes (written out here, apart
    from the code under test)."""
    from PIL import Image

    from dis_annotator.nets.sam_import import sam_predictor_class

    cls = sam_predictor_class()
    if cls is not None:
        pred = cls(sam)
        pred.set_image(image)
        return pred.predict(
            point_coords=points, point_labels=labels, box=box, mask_input=mask_input,
            multimask_output=multimask, return_logits=True,
        )
    h, w = image.shape[:2]
    scale = 1024 / max(h, w)
    nh, nw = int(h * scale + 0.5), int(w * scale + 0.5)
    resized = np.array(Image.fromarray(image).resize((nw, nh), Image.BILINEAR))
    x = torch.as_tensor(resized).permute(2, 0, 1).contiguous()[None]
    sx, sy = nw / w, nh / h
    key = (id(sam), hashlib.sha1(resized.tobytes()).hexdigest())
    with torch.no_grad():
        if key not in _FEATURES:  # one reference encode per (model, image)
            _FEATURES[key] = sam.image_encoder(sam.preprocess(x))
        feats = _FEATURES[key]
        pts = None
        if points is not None:
            pc = np.asarray(points, dtype=float) * np.array([sx, sy])
            pts = (
                torch.as_tensor(pc, dtype=torch.float)[None],
                torch.as_tensor(labels, dtype=torch.int)[None],
            )
        bx = None
        if box is not None:
            b = np.asarray(box, dtype=float).reshape(2, 2) * np.array([sx, sy])
            bx = torch.as_tensor(b.reshape(1, 4), dtype=torch.float)
        mi = None if mask_input is None else torch.as_tensor(mask_input, dtype=torch.float)[None]
        sparse, dense = sam.prompt_encoder(points=pts, boxes=bx, masks=mi)
        low, iou = sam.mask_decoder(
            image_embeddings=feats,
            image_pe=sam.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=multimask,
        )
        logits = sam.postprocess_masks(low, (nh, nw), (h, w))
    return logits[0].numpy(), iou[0].numpy(), low[0].numpy()


# MobileSAM (vit_t) at toy size: TinyViT with one block per stage, the same decoder width
# as TINY, the official 1024 input and 64×64 embedding grid.
TINY_T = SamConfig(
    model_type="vit_t",
    tiny_vit=TinyViTConfig(
        embed_dims=(8, 16, 24, 32), depths=(1, 1, 1, 1), num_heads=(1, 2, 2, 2),
        window_sizes=(7, 7, 14, 7), head_classes=10,
    ),
    prompt_embed_dim=64,
    decoder_mlp_dim=256,
)


def scramble(module: torch.nn.Module, seed: int) -> None:
    """Random values in every parameter and BatchNorm statistic (random init leaves
    MBConv's last BN at 0 and every BN at identity statistics: too trivial to compare)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            elif t.dim() == 1 and name.endswith("weight"):  # BN / LayerNorm scales
                t.copy_(1.0 + 0.2 * torch.randn(t.shape, generator=g))
            else:
                t.copy_(0.2 * torch.randn(t.shape, generator=g))


def tiny_sam_t(seed: int = 0):
    """A toy MobileSAM with scrambled encoder weights and a spread-out decoder."""
    torch.manual_seed(seed)
    sam = build_sam(TINY_T)
    scramble(sam.image_encoder, seed)
    with torch.no_grad():
        for name, p in sam.named_parameters():
            if name.endswith("weight") and p.dim() > 1 and "mask_decoder" in name:
                p.mul_(2.0)
    return sam


def tiny_refiner(path: Path, seed: int = 0, width: float = 0.125) -> Path:
    """A narrow random-weight IS5Net refiner checkpoint (our format): what ``models import``
    accepts for ``is5net`` / ``dis_sam``."""
    from dis_annotator.nets.isnet import ISNetDIS

    torch.manual_seed(seed)
    net = ISNetDIS(in_ch=5, width=width)
    save_checkpoint(path, "is5net", net.state_dict(), config={"in_ch": 5, "width": width, "size": 64})
    return path
