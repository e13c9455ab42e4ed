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

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from dis_annotator.engine.embedding_cache import MIB, EmbeddingCache
from dis_annotator.engine.sam_embedding import SamEmbedding, encode, first_global_block
from dis_annotator.engine.sam_model import model_label
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
DEFAULT_CACHE_MB = 264.0
# Up to this many pixels the full-frame postprocess is cheap and bit-equal to SamPredictor.
FULL_FRAME_MAX_PIXELS = 4_200_000
# Beyond that, only the window where the mask can be positive is upsampled, unless the
# window is this large a part of the region (then ATen's full-frame kernel is faster).
LARGE_WINDOW_FRACTION = 0.3
PROB_MARGIN = 0.1  # prob_box = box (or mask ∪ clicks) grown by this × size on each side
NO_PISAM = "SAM re-prompting (Pi-SAM needs SAM ViT-B's intermediate features; vit_t has none)"
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
    """:class:`~dis_annotator.engine.stages.CoarseStage` backed by ``segment_anything``.

    ``cpu_bf16`` runs the encoder under bfloat16 autocast on CPU: only a gain on CPUs
    with native bf16 (AVX512-BF16/AMX); on AVX2-only CPUs it is emulated and far slower.
    ``capture_interm`` keeps the first global-attention block output in each embedding
    (Pi-SAM needs it; 12 MiB per vit_b entry). MobileSAM (vit_t) has no such block:
    its embeddings never carry one, and clicks are SAM re-prompting.
    """

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
        # fp16 encoder on GPUs (CUDA, Apple MPS); prompt encoder and decoder stay fp32.
        self.half_encoder = self.device.type in ("cuda", "mps")
        if self.half_encoder:
            self.model.image_encoder.half()
        self.model_type = model_type
        self.name = f"sam-{model_type}"
        self.checkpoint = checkpoint
        self.checkpoint_sha256 = checkpoint_sha256
        self.crop_to_box = crop_to_box
        self.cpu_bf16 = cpu_bf16 and self.device.type == "cpu"
        # An encoder without a global-attention block (TinyViT) cannot supply the feature.
        self.has_interm = first_global_block(self.model.image_encoder) is not None
        self.capture_interm = capture_interm and self.has_interm
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
        settings: dict[str, Any] = {
            "multimask": multimask,
            "previous_logits": mask_input is not None,
            "crop_region": list(region) if region else None,
            "encoder_dtype": "float16" if self.half_encoder
            else ("bfloat16" if self.cpu_bf16 else "float32"),
        }
        if prompt.points and not self.has_interm:
            settings["clicks"] = NO_PISAM
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
                model=model_label(self.model_type),
                checkpoint_sha256=self.checkpoint_sha256,
                device=str(self.device),
                settings=settings,
            ),
        )

    # ---- postprocessing -----------------------------------------------------------

    def postprocess(
        self, emb: SamEmbedding, low: torch.Tensor, image: ImageData, prompt: Prompt
    ) -> tuple[np.ndarray, np.ndarray, Box]:
        """(1, 1, 256, 256) logits → full-res bool mask, sigmoid prob over prob_box, prob_box.

        Regions up to FULL_FRAME_MAX_PIXELS use the same two interpolations as
        ``Sam.postprocess_masks`` (bit-equal to ``SamPredictor``); larger ones upsample
        only the window where the mask can be positive and the prob_box (docs/adr/0043).
        """
        H, W = image.height, image.width
        oh, ow = emb.original_size
        ox, oy = emb.offset
        thr = self.model.mask_threshold
        up = padded_logits(low.float(), emb.img_size, emb.input_size)
        mask = np.zeros((H, W), dtype=bool)
        win = None
        if oh * ow > FULL_FRAME_MAX_PIXELS:
            win = positive_window(up[0, 0].cpu(), (oh, ow), thr)
        large = win is not None and _area(win) > LARGE_WINDOW_FRACTION * oh * ow
        if oh * ow <= FULL_FRAME_MAX_PIXELS:
            # Exactly Sam.postprocess_masks' second interpolation (bit-equal results).
            vals = F.interpolate(up, (oh, ow), mode="bilinear", align_corners=False)[0, 0].cpu()
            computed: Region | None = (0, 0, ow, oh)
        elif large:
            # Most of a large region is needed: OpenCV's bilinear resize (same pixel-centre
            # mapping and edge clamping) is ~6× faster than ATen's here, equal within 5e-4.
            src = np.ascontiguousarray(up[0, 0].cpu().numpy())
            vals = torch.from_numpy(cv2.resize(src, (ow, oh), interpolation=cv2.INTER_LINEAR))
            computed = (0, 0, ow, oh)
        else:
            # One window for the mask and (when the box is known) the prob_box. Outside
            # `win` every upsampled value is a convex combination of values <= thr.
            computed = win
            if prompt.box is not None:
                computed = _union(win, self._prob_box(None, prompt, emb).int_bounds(), ox, oy)
            vals = upsample_window(up[0, 0].cpu(), (oh, ow), computed) if computed else None
        if computed is not None and vals is not None:
            cx0, cy0, cx1, cy1 = computed
            mask[oy + cy0 : oy + cy1, ox + cx0 : ox + cx1] = (vals > thr).numpy()
        prob_box = self._prob_box(mask, prompt, emb, computed)
        bx0, by0, bx1, by1 = prob_box.int_bounds()
        rx0, ry0, rx1, ry1 = bx0 - ox, by0 - oy, bx1 - ox, by1 - oy  # region frame
        if computed is not None and _inside((rx0, ry0, rx1, ry1), computed):
            cx0, cy0 = computed[:2]
            roi = vals[ry0 - cy0 : ry1 - cy0, rx0 - cx0 : rx1 - cx0]
        else:
            roi = upsample_window(up[0, 0].cpu(), (oh, ow), (rx0, ry0, rx1, ry1))
        prob = torch.sigmoid(roi).numpy().astype(np.float32, copy=False)
        return mask, prob, prob_box

    def _prob_box(
        self,
        mask: np.ndarray | None,
        prompt: Prompt,
        emb: SamEmbedding,
        computed: Region | None = None,
    ) -> Box:
        """The box the user drew grown by PROB_MARGIN; without one, mask ∪ clicks grown.

        ``computed`` (region frame) bounds where ``mask`` can be True.
        """
        if prompt.box is not None:
            u = prompt.box
        else:
            parts = [Box(p.x, p.y, p.x + 1, p.y + 1) for p in prompt.points]
            if mask is not None and computed is not None:
                ox, oy = emb.offset
                cx0, cy0, cx1, cy1 = computed
                tight = Box.from_mask(mask[oy + cy0 : oy + cy1, ox + cx0 : ox + cx1])
                if tight is not None:
                    parts.append(
                        Box(tight.x0 + ox + cx0, tight.y0 + oy + cy0,
                            tight.x1 + ox + cx0, tight.y1 + oy + cy0)
                    )
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


def _area(r: Region) -> int:
    return (r[2] - r[0]) * (r[3] - r[1])


def _inside(a: Region, b: Region) -> bool:
    return b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]


def _union(win: Region | None, full_box: tuple[int, int, int, int], ox: int, oy: int) -> Region:
    """``win`` (region frame) ∪ ``full_box`` (image frame, shifted into the region frame)."""
    b = (full_box[0] - ox, full_box[1] - oy, full_box[2] - ox, full_box[3] - oy)
    if win is None:
        return b
    return (min(win[0], b[0]), min(win[1], b[1]), max(win[2], b[2]), max(win[3], b[3]))


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
    """The SAM stage from installed weights (or ``sam_model``: a model name such as
    ``vit_t`` / ``mobile_sam`` / ``sam_vit_h``, or a checkpoint path; "auto" = None).

    Without ``sam_model``, the first installed of ``sam_choice.auto_order(device)``: on
    CPU vit_b, MobileSAM, vit_l, vit_h; on a GPU the largest first (docs/adr/0112).

    Returns None when no SAM weights are installed; raises WeightsError for a checkpoint
    that is present but unusable (bad hash, wrong keys or shapes, unsafe pickle).
    """
    import os

    from dis_annotator.engine import weights

    opts = {"crop_to_box": crop_to_box, "cpu_bf16": cpu_bf16}
    if sam_model and (os.sep in sam_model or sam_model.endswith((".pth", ".pt"))):
        return load_stage(sam_model, device, **opts)
    from dis_annotator.engine.sam_choice import auto_order

    if sam_model == "auto":
        sam_model = None
    names = [sam_model] if sam_model else list(auto_order(pick_device(device).type))
    for name in names:
        found = weights.verified_path(name)
        if found is not None:
            path, sha = found
            return load_stage(str(path), device, checkpoint_sha256=sha, **opts)
    return None
