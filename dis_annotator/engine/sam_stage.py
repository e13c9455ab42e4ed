"""SAM as the coarse stage: cached image embeddings, box/click prompts, previous logits.

Prompt policy (docs/adr/0041): a box alone (or a single click without a box) uses SAM's
three-mask output and keeps the mask with the highest predicted IoU; follow-up clicks
send all prompts so far plus the previous best 256² logits as ``mask_input`` and ask for
one mask. Pre/post-processing equals ``SamPredictor`` (sam_transforms), the decoder
always runs in float32, the image encoder in float16 on GPU or optional bfloat16 on CPU.

Large images (``crop_to_box``): when the box covers a small part of a large image, the
box region plus a margin is encoded at 1024 instead of the whole image (docs/adr/0042).
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np
import torch

from dis_annotator.engine.embedding_cache import MIB, EmbeddingCache
from dis_annotator.engine.sam_embedding import SamEmbedding, encode
from dis_annotator.engine.sam_transforms import padded_logits, positive_window, upsample_window
from dis_annotator.engine.types import (
    Box,
    ImageData,
    IsCurrent,
    MaskOutput,
    Prompt,
    StageReport,
    Superseded,
)

# 16 vit_b embeddings with the early ViT feature: 16 × (4 MiB + 12 MiB) = 256 MiB.
DEFAULT_CACHE_MB = 272.0
# Up to this many pixels the full-frame postprocess is cheap and bit-equal to SamPredictor.
FULL_FRAME_MAX_PIXELS = 4_200_000
PROB_MARGIN = 0.1  # prob_box = (box ∪ mask bbox) grown by this × size on each side
Region = tuple[int, int, int, int]


def pick_device(device: str | None = None) -> torch.device:
    """CUDA, else Apple MPS, else CPU (unless ``device`` names one)."""
    if device:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class SamCoarseStage:
    """:class:`~dis_annotator.engine.stages.CoarseStage` backed by ``segment_anything``."""

    learned = True

    def __init__(
        self,
        model: Any,
        model_type: str = "vit_b",
        device: str | torch.device | None = None,
        *,
        checkpoint: str | None = None,
        checkpoint_sha256: str | None = None,
        crop_to_box: bool = False,
        cpu_bf16: bool = False,
        cache_mb: float = DEFAULT_CACHE_MB,
        capture_interm: bool = True,
        crop_margin: float = 0.25,
        crop_min_gain: float = 2.0,
    ) -> None:
        self.device = pick_device(str(device) if device is not None else None)
        self.model = model.to(self.device).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.half_encoder = self.device.type == "cuda"
        if self.half_encoder:
            self.model.image_encoder.half()
        self.model_type = model_type
        self.name = f"sam-{model_type}"
        self.checkpoint = checkpoint
        self.checkpoint_sha256 = checkpoint_sha256
        self.crop_to_box = crop_to_box
        self.cpu_bf16 = cpu_bf16 and self.device.type == "cpu"
        self.capture_interm = capture_interm
        self.crop_margin = crop_margin
        self.crop_min_gain = crop_min_gain
        self.cache: EmbeddingCache[SamEmbedding] = EmbeddingCache(cache_mb)
        self._lock = threading.RLock()
        self.encodes = 0  # how many times the image encoder ran (tests, benchmarks)

    @property
    def img_size(self) -> int:
        return int(self.model.image_encoder.img_size)

    # ---- embeddings ---------------------------------------------------------------

    def embedding(
        self,
        image: ImageData,
        is_current: IsCurrent | None = None,
        region: Region | None = None,
        need_interm: bool | None = None,
    ) -> SamEmbedding:
        """The (cached) embedding of ``image`` or of ``region`` = (x0, y0, x1, y1) of it.

        Raises :class:`Superseded` when ``is_current`` turns False before or during the
        encode. ``need_interm`` (default: ``capture_interm``) re-encodes a cached entry
        that lacks the early ViT feature.
        """
        need = self.capture_interm if need_interm is None else need_interm
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

    def prepare(self, image: ImageData, is_current: IsCurrent | None = None) -> None:
        """Encode ``image`` ahead of prompts; returns early when superseded.

        In crop-to-box mode a large image is encoded lazily per box region instead.
        """
        if self.crop_to_box and max(image.width, image.height) > self.img_size:
            return
        try:
            self.embedding(image, is_current)
        except Superseded:
            return

    def prefetch(self, image: ImageData, is_current: IsCurrent | None = None) -> bool:
        """Pre-encode the next image from the inference thread; True when it is cached."""
        self.prepare(image, is_current)
        return self.is_cached(image)

    def is_cached(self, image: ImageData, region: Region | None = None) -> bool:
        return (image.key, region) in self.cache

    # ---- prompts --------------------------------------------------------------------

    def crop_region(self, image: ImageData, prompt: Prompt) -> Region | None:
        """Region to encode in crop-to-box mode, or None for the whole image."""
        if not self.crop_to_box or max(image.width, image.height) <= self.img_size:
            return None
        xs = [p.x for p in prompt.points]
        ys = [p.y for p in prompt.points]
        if prompt.box is not None:
            xs += [prompt.box.x0, prompt.box.x1]
            ys += [prompt.box.y0, prompt.box.y1]
        bw, bh = max(xs) - min(xs), max(ys) - min(ys)
        side = max(bw, bh, 16.0) * (1 + 2 * self.crop_margin)
        if max(image.width, image.height) / side < self.crop_min_gain:
            return None
        cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        half_w = max(bw * (0.5 + self.crop_margin), 32.0)
        half_h = max(bh * (0.5 + self.crop_margin), 32.0)
        # Snap outwards to a 64-px grid so small box edits reuse the cached embedding.
        g = 64
        x0 = max(0, int(math.floor((cx - half_w) / g)) * g)
        y0 = max(0, int(math.floor((cy - half_h) / g)) * g)
        x1 = min(image.width, int(math.ceil((cx + half_w) / g)) * g)
        y1 = min(image.height, int(math.ceil((cy + half_h) / g)) * g)
        return (x0, y0, x1, y1)

    def decode(
        self,
        emb: SamEmbedding,
        coords: np.ndarray | None,
        labels: np.ndarray | None,
        box: np.ndarray | None,
        mask_input: np.ndarray | None,
        multimask: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """SAM's prompt encoder + mask decoder in float32, like ``SamPredictor.predict_torch``.

        ``coords`` N×2 and ``box`` (4,) are already in the input frame; ``mask_input``
        1×256×256 logits. Returns low-res logits (1, C, 256, 256) and IoU scores (1, C).
        """
        dev = self.device
        points = None
        if coords is not None and len(coords):
            pc = torch.as_tensor(coords, dtype=torch.float, device=dev)[None, :, :]
            pl = torch.as_tensor(labels, dtype=torch.int, device=dev)[None, :]
            points = (pc, pl)
        boxes = None if box is None else torch.as_tensor(box, dtype=torch.float, device=dev)[None, :]
        masks = None
        if mask_input is not None:
            masks = torch.as_tensor(mask_input, dtype=torch.float, device=dev)[None, :, :, :]
        with torch.no_grad():
            sparse, dense = self.model.prompt_encoder(points=points, boxes=boxes, masks=masks)
            low, iou = self.model.mask_decoder(
                image_embeddings=emb.features,
                image_pe=self.model.prompt_encoder.get_dense_pe(),
                sparse_prompt_embeddings=sparse,
                dense_prompt_embeddings=dense,
                multimask_output=multimask,
            )
        return low, iou

    def predict(self, image: ImageData, prompt: Prompt, previous: MaskOutput | None) -> MaskOutput:
        prompt = prompt.validated(image.width, image.height)
        prev_state = previous.state if previous is not None else {}
        region = self.crop_region(image, prompt)
        old = prev_state.get("sam_region")
        if region is not None and old is not None and _contains(tuple(old), prompt):
            region = tuple(old)  # keep the frame the previous logits live in
        emb = self.embedding(image, region=region)
        coords = labels = None
        if prompt.points:
            coords = emb.to_input_frame(np.array([[p.x, p.y] for p in prompt.points]))
            labels = np.array([p.label for p in prompt.points])
        box = emb.box_to_input_frame(np.array(prompt.box.as_tuple())) if prompt.box else None
        mask_input = None
        logits = prev_state.get("sam_logits")
        if (
            prompt.points
            and logits is not None
            and prev_state.get("sam_model") == self.name
            and _same_region(prev_state.get("sam_region"), region)
        ):
            mask_input = np.asarray(logits, dtype=np.float32).reshape(1, *np.shape(logits)[-2:])
        multimask = mask_input is None and (
            not prompt.points or (len(prompt.points) == 1 and prompt.box is None)
        )
        low, iou = self.decode(emb, coords, labels, box, mask_input, multimask)
        best = int(torch.argmax(iou[0])) if multimask else 0
        best_low = low[:, best : best + 1]
        mask, prob, prob_box = self.postprocess(emb, best_low, image, prompt)
        score = float(iou[0, best])
        return MaskOutput(
            mask=mask,
            prob=prob,
            prob_box=prob_box,
            score=score,
            state={
                "sam_logits": best_low[0].float().cpu().numpy().astype(np.float32),
                "sam_region": region,
                "sam_model": self.name,
                "sam_ious": [float(v) for v in iou[0].cpu()],
            },
            report=StageReport(
                stage="coarse",
                name=self.name,
                learned=True,
                model=f"segment-anything {self.model_type}",
                checkpoint_sha256=self.checkpoint_sha256,
                device=str(self.device),
                settings={
                    "multimask": multimask,
                    "previous_logits": mask_input is not None,
                    "crop_region": list(region) if region else None,
                    "encoder_dtype": "float16" if self.half_encoder
                    else ("bfloat16" if self.cpu_bf16 else "float32"),
                },
            ),
        )

    # ---- postprocessing -----------------------------------------------------------

    def postprocess(
        self, emb: SamEmbedding, low: torch.Tensor, image: ImageData, prompt: Prompt
    ) -> tuple[np.ndarray, np.ndarray, Box]:
        """(1, 1, 256, 256) logits → full-res bool mask, sigmoid prob over prob_box, prob_box.

        Small, uncropped images use ``Sam.postprocess_masks`` itself (bit-equal to
        ``SamPredictor``); otherwise only the windows that matter are upsampled.
        """
        H, W = image.height, image.width
        oh, ow = emb.original_size
        ox, oy = emb.offset
        up = padded_logits(low.float(), emb.img_size, emb.input_size)
        mask = np.zeros((H, W), dtype=bool)
        full = None
        if emb.offset == (0, 0) and (oh, ow) == (H, W) and H * W <= FULL_FRAME_MAX_PIXELS:
            full = torch.nn.functional.interpolate(
                up, (oh, ow), mode="bilinear", align_corners=False
            )[0, 0].cpu()
            mask[:] = (full > self.model.mask_threshold).numpy()
        else:
            up2 = up[0, 0].cpu()
            win = positive_window(up2, (oh, ow), self.model.mask_threshold)
            if win is not None:
                x0, y0, x1, y1 = win
                vals = upsample_window(up2, (oh, ow), win)
                mask[oy + y0 : oy + y1, ox + x0 : ox + x1] = (
                    vals > self.model.mask_threshold
                ).numpy()
        prob_box = self._prob_box(mask, prompt, emb, W, H)
        bx0, by0, bx1, by1 = (int(v) for v in prob_box.as_tuple())
        if full is not None:
            roi = full[by0:by1, bx0:bx1]
        else:
            roi = upsample_window(up[0, 0].cpu(), (oh, ow), (bx0 - ox, by0 - oy, bx1 - ox, by1 - oy))
        prob = torch.sigmoid(roi).numpy().astype(np.float32, copy=False)
        return mask, prob, prob_box

    def _prob_box(
        self, mask: np.ndarray, prompt: Prompt, emb: SamEmbedding, W: int, H: int
    ) -> Box:
        parts: list[Box] = []
        if prompt.box is not None:
            parts.append(prompt.box)
        tight = Box.from_mask(mask)
        if tight is not None:
            parts.append(tight)
        if not parts:
            xs = [p.x for p in prompt.points]
            ys = [p.y for p in prompt.points]
            parts.append(Box(min(xs), min(ys), max(xs) + 1, max(ys) + 1))
        u = Box(
            min(b.x0 for b in parts), min(b.y0 for b in parts),
            max(b.x1 for b in parts), max(b.y1 for b in parts),
        )
        dx = max(8.0, u.width * PROB_MARGIN)
        dy = max(8.0, u.height * PROB_MARGIN)
        rx0, ry0, rx1, ry1 = emb.region
        x0, y0 = max(rx0, math.floor(u.x0 - dx)), max(ry0, math.floor(u.y0 - dy))
        x1, y1 = min(rx1, math.ceil(u.x1 + dx)), min(ry1, math.ceil(u.y1 + dy))
        return Box(float(x0), float(y0), float(x1), float(y1))

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "device": str(self.device),
            "checkpoint": self.checkpoint,
            "cache_mb": round(self.cache.capacity_bytes / MIB, 1),
            "crop_to_box": self.crop_to_box,
        }


def _same_region(a: Any, b: Region | None) -> bool:
    return (tuple(a) if a is not None else None) == (tuple(b) if b is not None else None)


def _contains(region: Region, prompt: Prompt) -> bool:
    x0, y0, x1, y1 = region
    pts = [(p.x, p.y) for p in prompt.points]
    if prompt.box is not None:
        pts += [(prompt.box.x0, prompt.box.y0), (prompt.box.x1 - 1e-6, prompt.box.y1 - 1e-6)]
    return all(x0 <= x < x1 and y0 <= y < y1 for x, y in pts)


def load_stage(
    path: str, device: str | None = None, **kwargs: Any
) -> SamCoarseStage:
    """A stage from a checkpoint file (strict keys, safe load); WeightsError if unusable."""
    from dis_annotator.engine.checkpoint import sha256_file
    from dis_annotator.engine.sam_model import load_sam

    sam, config = load_sam(path)
    sha = kwargs.pop("checkpoint_sha256", None) or sha256_file(path)
    return SamCoarseStage(
        sam, config.model_type, device, checkpoint=str(path), checkpoint_sha256=sha, **kwargs
    )


def load_default(
    device: str | None = None,
    sam_model: str | None = None,
    crop_to_box: bool = False,
    cpu_bf16: bool = False,
    **_: Any,
) -> SamCoarseStage | None:
    """The SAM stage from installed weights: vit_b, then vit_l, then vit_h (or ``sam_model``:
    a model name such as ``vit_l`` / ``sam_vit_h``, or a checkpoint path).

    Returns None when no SAM weights are installed; raises WeightsError for a checkpoint
    that is present but unusable (bad hash, wrong keys or shapes, unsafe pickle).
    """
    import os

    from dis_annotator.engine import weights

    opts = {"crop_to_box": crop_to_box, "cpu_bf16": cpu_bf16}
    if sam_model and (os.sep in sam_model or sam_model.endswith((".pth", ".pt"))):
        return load_stage(sam_model, device, **opts)
    names = [sam_model] if sam_model else ["sam_vit_b", "sam_vit_l", "sam_vit_h"]
    for name in names:
        found = weights.verified_path(name)
        if found is not None:
            path, sha = found
            return load_stage(str(path), device, checkpoint_sha256=sha, **opts)
    return None
