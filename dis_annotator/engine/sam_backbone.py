"""``SamBackbone``: the one loaded SAM shared by every stage that needs it.

The factory builds it once and hands it to the SAM coarse stage and to Pi-SAM
(docs/adr/0090). It owns what must not exist twice: the model on its device, the
embedding cache (LRU by image content, bounded in MB), the encoder's precision and the
crop policy that decides which region of a large image is encoded (docs/adr/0042).
Stages only decode prompts on the embeddings it returns.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from typing import Any

import torch

from dis_annotator.engine.device import pick_device
from dis_annotator.engine.embedding_cache import MIB, EmbeddingCache
from dis_annotator.engine.sam_embedding import SamEmbedding, encode, first_global_block
from dis_annotator.engine.types import ImageData, IsCurrent, Prompt, Superseded
from dis_annotator.geometry import Rect

# 16 vit_b embeddings with the early ViT feature: 16 × (4 MiB + 12 MiB) = 256 MiB.
DEFAULT_CACHE_MB = 264.0
# No SAM model named (or "auto"): sam_choice.auto_order(device type) decides the order
# (docs/adr/0112); it is the one place that does.
AUTO = "auto"


@dataclass(frozen=True)
class CropPolicy:
    """When a box covers a small part of a large image, encode only the box region.

    ``enabled`` (crop-to-box mode); the region is the prompt's extent grown by ``margin``
    × its size on each side, used only when the image's long side is at least
    ``min_gain`` × the region's side (docs/adr/0042).
    """

    enabled: bool = False
    margin: float = 0.25
    min_gain: float = 2.0

    def skips_full_encode(self, image: ImageData, img_size: int) -> bool:
        """True when ``image`` is encoded per box region instead of as a whole."""
        return self.enabled and max(image.width, image.height) > img_size

    def region(self, image: ImageData, prompt: Prompt, img_size: int) -> Rect | None:
        """Region (x0, y0, x1, y1) to encode for ``prompt``, or None for the whole image."""
        if not self.skips_full_encode(image, img_size):
            return None
        xs = [p.x for p in prompt.points]
        ys = [p.y for p in prompt.points]
        if prompt.box is not None:
            xs += [prompt.box.x0, prompt.box.x1]
            ys += [prompt.box.y0, prompt.box.y1]
        bw, bh = max(xs) - min(xs), max(ys) - min(ys)
        side = max(bw, bh, 16.0) * (1 + 2 * self.margin)
        if max(image.width, image.height) / side < self.min_gain:
            return None
        cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        half_w = max(bw * (0.5 + self.margin), 32.0)
        half_h = max(bh * (0.5 + self.margin), 32.0)
        # Snap outwards to a 64-px grid so small box edits reuse the cached embedding.
        g = 64
        x0 = max(0, int(math.floor((cx - half_w) / g)) * g)
        y0 = max(0, int(math.floor((cy - half_h) / g)) * g)
        x1 = min(image.width, int(math.ceil((cx + half_w) / g)) * g)
        y1 = min(image.height, int(math.ceil((cy + half_h) / g)) * g)
        return Rect(x0, y0, x1, y1)


class SamBackbone:
    """A ``segment_anything`` ``Sam`` on its device, with its embedding cache.

    ``cpu_bf16`` runs the encoder under bfloat16 autocast on CPU: only a gain on CPUs
    with native bf16 (AVX512-BF16/AMX); on AVX2-only CPUs it is emulated and far slower.
    ``capture_interm`` keeps the first global-attention block output in each embedding
    (Pi-SAM needs it; 12 MiB per vit_b entry). ``has_interm`` is False for an encoder
    without a global-attention block (MobileSAM's TinyViT, vit_t): its embeddings never
    carry the feature, so a cached entry is never re-encoded for it and Pi-SAM is never
    loaded on it. Thread-safe: a prefetch may run beside a lookup.
    """

    def __init__(
        self,
        model: Any,
        model_type: str = "vit_b",
        device: str | torch.device | None = None,
        *,
        checkpoint: str | None = None,
        checkpoint_sha256: str | None = None,
        crop: CropPolicy | None = None,
        cpu_bf16: bool = False,
        cache_mb: float = DEFAULT_CACHE_MB,
        capture_interm: bool = True,
    ) -> None:
        self.device = pick_device(device)
        self.model = model.to(self.device).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        # fp16 encoder on GPUs (CUDA, Apple MPS); prompt encoder and decoder stay fp32.
        self.half_encoder = self.device.type in ("cuda", "mps")
        if self.half_encoder:
            self.model.image_encoder.half()
        self.model_type = model_type
        self.name = f"sam-{model_type}"
        self.checkpoint = checkpoint
        self.checkpoint_sha256 = checkpoint_sha256
        self.crop = crop or CropPolicy()
        self.cpu_bf16 = cpu_bf16 and self.device.type == "cpu"
        # An encoder without a global-attention block (TinyViT) cannot supply the feature.
        self.has_interm = first_global_block(self.model.image_encoder) is not None
        self.capture_interm = capture_interm and self.has_interm
        self.cache: EmbeddingCache[SamEmbedding] = EmbeddingCache(cache_mb)
        self._lock = threading.RLock()
        self.encodes = 0  # how many times the image encoder ran (tests, benchmarks)

    @property
    def img_size(self) -> int:
        """Side of SAM's square input frame (1024 for the official models)."""
        return int(self.model.image_encoder.img_size)

    @property
    def vit_dim(self) -> int:
        """Width of the image encoder's ViT (768 vit_b, 1024 vit_l, 1280 vit_h).

        Only ViT encoders have one (``has_interm``); MobileSAM's TinyViT raises WeightsError.
        """
        if not self.has_interm:
            from dis_annotator.engine.errors import WeightsError

            raise WeightsError(f"{self.name}: no ViT intermediate feature (TinyViT encoder)")
        return int(self.model.image_encoder.patch_embed.proj.out_channels)

    @property
    def encoder_dtype(self) -> str:
        return "float16" if self.half_encoder else ("bfloat16" if self.cpu_bf16 else "float32")

    def embedding(
        self,
        image: ImageData,
        is_current: IsCurrent | None = None,
        region: Rect | None = None,
        need_interm: bool | None = None,
    ) -> SamEmbedding:
        """The (cached) embedding of ``image`` or of ``region`` = (x0, y0, x1, y1) of it.

        Raises :class:`Superseded` when ``is_current`` turns False before or during the
        encode. ``need_interm`` (default: ``capture_interm``) re-encodes a cached entry
        that lacks the early ViT feature; ignored when the encoder has none (vit_t).
        """
        need = (self.capture_interm if need_interm is None else need_interm) and self.has_interm
        full = (0, 0, image.width, image.height)
        if region is not None and tuple(region) == full:
            region = None
        key = (image.key, region)
        with self._lock:
            hit = self.cache.get(key)
            if hit is not None and (hit.interm is not None or not need):
                return hit
            if region is None:
                pixels, offset = image.array, (0, 0)
            else:
                x0, y0, x1, y1 = region
                pixels, offset = image.array[y0:y1, x0:x1], (x0, y0)
            emb = encode(
                self.model, pixels, offset=offset, is_current=is_current,
                capture_interm=need, half=self.half_encoder, cpu_bf16=self.cpu_bf16,
            )
            self.encodes += 1
            self.cache.put(key, emb)
            return emb

    def crop_region(self, image: ImageData, prompt: Prompt) -> Rect | None:
        """Region the crop policy encodes for ``prompt``, or None for the whole image."""
        return self.crop.region(image, prompt, self.img_size)

    def embedding_for(self, image: ImageData, prompt: Prompt) -> SamEmbedding:
        """The embedding a prompt is decoded on: its crop region's, else the whole image's."""
        return self.embedding(image, region=self.crop_region(image, prompt))

    def prepare(self, image: ImageData, is_current: IsCurrent | None = None) -> None:
        """Encode ``image`` ahead of prompts; returns early when superseded.

        In crop-to-box mode a large image is encoded lazily per box region instead.
        """
        if self.crop.skips_full_encode(image, self.img_size):
            return
        try:
            self.embedding(image, is_current)
        except Superseded:
            return

    def prefetch(self, image: ImageData, is_current: IsCurrent | None = None) -> bool:
        """Pre-encode the next image from the inference thread; True when it is cached."""
        self.prepare(image, is_current)
        return self.is_cached(image)

    def is_cached(self, image: ImageData, region: Rect | None = None) -> bool:
        return (image.key, region) in self.cache

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "device": str(self.device),
            "checkpoint": self.checkpoint,
            "cache_mb": round(self.cache.capacity_bytes / MIB, 1),
            "crop_to_box": self.crop.enabled,
        }


def load_backbone(
    path: str | os.PathLike[str],
    *,
    device: str | torch.device | None = None,
    checkpoint_sha256: str | None = None,
    crop_to_box: bool = False,
    cpu_bf16: bool = False,
) -> SamBackbone:
    """The backbone from a checkpoint file (strict keys, safe load); WeightsError if unusable."""
    from dis_annotator.engine.checkpoint import sha256_file
    from dis_annotator.engine.sam_model import load_sam

    sam, config = load_sam(path)
    return SamBackbone(
        sam, config.model_type, device, checkpoint=os.fspath(path),
        checkpoint_sha256=checkpoint_sha256 or sha256_file(path),
        crop=CropPolicy(enabled=crop_to_box), cpu_bf16=cpu_bf16,
    )


def load_default(
    *,
    device: str | torch.device | None = None,
    sam_model: str | None = None,
    crop_to_box: bool = False,
    cpu_bf16: bool = False,
) -> SamBackbone | None:
    """The backbone from installed weights (or ``sam_model``: a model name such as
    ``vit_t`` / ``mobile_sam`` / ``sam_vit_h``, or a checkpoint path; "auto" = None).

    Without ``sam_model``, the first installed of ``sam_choice.auto_order(device type)``:
    on CPU vit_b, MobileSAM, vit_l, vit_h; on a GPU the largest first (docs/adr/0112).

    Returns None when no SAM weights are installed; raises WeightsError for a checkpoint
    that is present but unusable (bad hash, wrong keys or shapes, unsafe pickle).
    """
    from dis_annotator.engine.sam_choice import auto_order
    from dis_annotator.engine.weights import resolve_weights

    opts = {"device": device, "crop_to_box": crop_to_box, "cpu_bf16": cpu_bf16}
    if sam_model == AUTO:
        sam_model = None
    if sam_model and (os.sep in sam_model or sam_model.endswith((".pth", ".pt"))):
        return load_backbone(sam_model, **opts)
    names = [sam_model] if sam_model else auto_order(pick_device(device).type)
    for name in names:
        found = resolve_weights(name)
        if found is not None:
            return load_backbone(found.path, checkpoint_sha256=found.sha256, **opts)
    return None
