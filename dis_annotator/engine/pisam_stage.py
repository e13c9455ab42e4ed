"""Pi-SAM: HR-decoder masks for boxes, Precise-Interactor clicks.

:class:`PiSam` works on the shared :class:`~dis_annotator.engine.sam_backbone.SamBackbone`
(its model, device and cached embeddings: features (1,256,s,s), interm (1,s,s,C),
original_size, input_size, offset). The factory hands one ``PiSam`` to two stages: the
SAM coarse stage uses it as its box path, :class:`PiSamCorrector` for clicks; both share
its per-object feature cache. The Pi-SAM checkpoint holds only Pi-SAM's own modules
(``nets/pisam/decoder.py``); SAM's decoder is the backbone's.

Geometry: the encoded region of the image starts at ``offset`` = (x, y) and has
``original_size`` = (H, W); SAM resized it to ``input_size`` = (h, w) inside its padded
``frame``² input. Clicks (x = column, y = row, engine/types.py) map to continuous frame
coordinates ``((x − ox + 0.5)·w/W, (y − oy + 0.5)·h/H)``.

Output: the frame's HR logits are resampled only over the region of interest (the box,
grown by a margin, plus the clicks and the previous mask's box), in row chunks, never
as a full-image float map; the mask is False outside that ROI.
"""

from __future__ import annotations

import logging
import math
import os
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dis_annotator.engine.checkpoint import (
    FORMAT,
    load_checkpoint,
    load_into,
    save_checkpoint,
    state_dict_of,
)
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.types import Box, ImageData, MaskOutput, Prompt, StageReport

if TYPE_CHECKING:
    from dis_annotator.engine.sam_backbone import SamBackbone
    from dis_annotator.engine.sam_embedding import SamEmbedding
    from dis_annotator.nets.pisam.decoder import PiSamDecoder

log = logging.getLogger(__name__)

KIND = "pisam"
VIT_DIMS = {768: "vit_b", 1024: "vit_l", 1280: "vit_h"}
ROI_MARGIN = 0.1
PROB_MAX_PIXELS = 1 << 24  # beyond this the soft map is not kept (64 MB of float32)
_ROW_CHUNK = 256


def weights_name(sam_model: str) -> str:
    """Manifest name of the Pi-SAM weights for a SAM model type, e.g. ``pisam_vit_b``."""
    return f"pisam_{sam_model}"


def sam_model_type(sam: Any) -> str:
    """``vit_b``/``vit_l``/``vit_h`` from the encoder width ("custom-<dim>" otherwise)."""
    dim = int(sam.image_encoder.patch_embed.proj.out_channels)
    return VIT_DIMS.get(dim, f"custom-{dim}")


# ---------------------------------------------------------------- checkpoint format


def save_pisam(
    path: str | os.PathLike[str],
    decoder: Any,
    *,
    sam_model: str,
    frame: int,
    stage: int,
    step: int,
    metrics: dict[str, float] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write a Pi-SAM checkpoint (our format, kind ``pisam``) with its metadata."""
    config = {**decoder.config(), "sam_model": sam_model, "frame": int(frame)}
    meta = {"stage": int(stage), "step": int(step), "metrics": dict(metrics or {}), **(extra or {})}
    save_checkpoint(path, KIND, decoder.state_dict(), config=config, meta=meta)


def load_pisam(
    path: str | os.PathLike[str], sam_model: str | None = None, vit_dim: int | None = None
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """Load a Pi-SAM checkpoint strictly → (PiSamDecoder on CPU, config, meta).

    Raises :class:`WeightsError` when the file is not a Pi-SAM checkpoint, was trained
    for another SAM model type, or its keys/shapes do not match.
    """
    from dis_annotator.nets.pisam.decoder import PiSamDecoder

    obj = load_checkpoint(path)
    name = Path(path).name
    if not isinstance(obj, dict) or obj.get("format") != FORMAT or obj.get("kind") != KIND:
        raise WeightsError(f"{name}: not a Pi-SAM checkpoint (kind {_kind_of(obj)!r})")
    config = dict(obj.get("config") or {})
    meta = dict(obj.get("meta") or {})
    trained_for = config.get("sam_model")
    if sam_model is not None and trained_for != sam_model:
        raise WeightsError(f"{name}: trained for SAM {trained_for}, but SAM {sam_model} is loaded")
    try:
        decoder = PiSamDecoder(
            vit_dim=int(config["vit_dim"]),
            ch=int(config.get("ch", 32)),
            interactor_depth=int(config.get("interactor_depth", 2)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise WeightsError(f"{name}: bad Pi-SAM config ({exc})") from None
    if vit_dim is not None and decoder.vit_dim != vit_dim:
        raise WeightsError(f"{name}: built for ViT width {decoder.vit_dim}, SAM has {vit_dim}")
    load_into(decoder, state_dict_of(obj), f"{name} (Pi-SAM)")
    return decoder.eval(), config, meta


def _kind_of(obj: Any) -> Any:
    return obj.get("kind") if isinstance(obj, dict) else type(obj).__name__


def load_default(*, backbone: SamBackbone | None) -> PiSam | None:
    """Pi-SAM on ``backbone`` from the installed ``pisam_<sam type>`` weights; None when
    there is no backbone, no Pi-SAM weights for its SAM type, or the backbone has no early
    ViT feature (MobileSAM, vit_t: never loaded there, whatever files exist).

    Raises :class:`WeightsError` when the weights exist but are broken or were trained
    for another SAM model type. Pi-SAM runs where the backbone runs.
    """
    from dis_annotator.engine.weights import resolve_weights

    if backbone is None:
        return None
    if not backbone.has_interm:
        return None  # MobileSAM: no ViT intermediate feature; clicks stay SAM re-prompting
    found = resolve_weights(weights_name(backbone.model_type))
    if found is None:
        return None
    decoder, config, meta = load_pisam(
        found.path, sam_model=backbone.model_type, vit_dim=backbone.vit_dim
    )
    return PiSam(backbone, decoder, config=config, meta=meta, checkpoint_sha256=found.sha256)


# ---------------------------------------------------------------- the model and its stage


class PiSam:
    """Pi-SAM's decoder on a SAM backbone: box → HR mask, box + clicks → corrected mask.

    The box of an object gives SAM's coarse pass and Pi-SAM's object features, cached per
    (image, box); each click only re-runs the interactor and the HR head.
    """

    name = "pisam"

    def __init__(
        self,
        backbone: SamBackbone,
        decoder: PiSamDecoder,
        config: dict[str, Any] | None = None,
        meta: dict[str, Any] | None = None,
        checkpoint_sha256: str | None = None,
        max_points: int = 10,
        cache_objects: int = 8,
    ) -> None:
        from dis_annotator.nets.pisam.sam_decoder_ext import SamDecoderExt

        if not backbone.has_interm:
            raise ValueError(f"Pi-SAM needs SAM ViT-B's intermediate features; {backbone.name} has none")
        self.backbone = backbone
        self.device = backbone.device
        self.decoder = decoder.to(self.device).eval()
        self.ext = SamDecoderExt(backbone.model.mask_decoder)
        self.frame = backbone.img_size
        self.config = dict(config or {})
        self.meta = dict(meta or {})
        self.checkpoint_sha256 = checkpoint_sha256
        self.max_points = max_points
        self._objects: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._cache_objects = cache_objects
        self.sam_model = backbone.model_type

    # -- public API --------------------------------------------------------------

    def correct(self, image: ImageData, prompt: Prompt, previous: MaskOutput) -> MaskOutput:
        """Corrected full-resolution mask for all of ``prompt.points`` (in order)."""
        box = self._object_box(image, prompt, previous)
        return self._run(image, box, prompt.points, previous)

    def predict_box(self, image: ImageData, prompt: Prompt) -> MaskOutput:
        """The HR-decoder mask for ``prompt.box`` (clicks, if any, via the interactor)."""
        if prompt.box is None:
            raise ValueError("predict_box needs a box prompt")
        box = prompt.box.clipped(image.width, image.height)
        return self._run(image, box, prompt.points, None)

    # -- internals ----------------------------------------------------------------

    def _object_box(self, image: ImageData, prompt: Prompt, previous: MaskOutput | None) -> Box:
        if prompt.box is not None:
            return prompt.box.clipped(image.width, image.height)
        if previous is not None:
            kept = previous.state.get("pisam_box")
            if kept is not None:
                return Box(*kept)
            from_mask = Box.from_mask(previous.mask)
            if from_mask is not None:
                return from_mask
        return Box(0.0, 0.0, float(image.width), float(image.height))

    def _geometry(self, emb: SamEmbedding) -> tuple[float, float, float, float, int, int]:
        """(ox, oy, sx, sy, H, W): region offset, frame pixels per image pixel, region size."""
        ox, oy = emb.offset
        big_h, big_w = (int(v) for v in emb.original_size)
        h, w = (int(v) for v in emb.input_size)
        return float(ox), float(oy), w / big_w, h / big_h, big_h, big_w

    def _object(self, image: ImageData, box: Box) -> tuple[Any, Any, tuple[float, ...]]:
        """Cached (ObjectFeatures, frame image, geometry) for ``box`` on ``image``."""
        import torch

        from dis_annotator.engine.sam_transforms import resize_longest_side
        from dis_annotator.nets.pisam.frame import normalize_pad
        from dis_annotator.nets.pisam.sam_decoder_ext import box_prompt_decode

        # The same region SAM's coarse stage encodes for this box (one shared cache entry).
        emb = self.backbone.embedding_for(image, Prompt(box=box))
        if emb.interm is None:
            raise WeightsError("Pi-SAM needs the SAM stage to capture the early ViT feature")
        geo = self._geometry(emb)
        key = (image.key, box.as_tuple(), geo)
        hit = self._objects.get(key)
        if hit is not None:
            self._objects.move_to_end(key)
            return hit
        ox, oy, sx, sy, big_h, big_w = geo
        crop = image.array[int(oy) : int(oy) + big_h, int(ox) : int(ox) + big_w]
        with torch.no_grad():
            rgb = torch.from_numpy(resize_longest_side(crop, self.frame))[None].to(self.device)
            frame_img = normalize_pad(rgb, self.frame)
            fbox = torch.tensor(
                [[(box.x0 - ox) * sx, (box.y0 - oy) * sy, (box.x1 - ox) * sx, (box.y1 - oy) * sy]],
                dtype=torch.float32,
                device=self.device,
            )
            features = emb.features.to(self.device).float()
            interm = emb.interm.to(self.device).float()
            sam_out = box_prompt_decode(self.backbone.model, features, fbox, self.ext)
            obj = self.decoder.embed(sam_out, features, interm)
            obj.rgb = self.decoder.head.rgb_embed(frame_img)  # click-independent
        entry = (obj, frame_img, geo)
        self._objects[key] = entry
        while len(self._objects) > self._cache_objects:
            self._objects.popitem(last=False)
        return entry

    def _run(
        self,
        image: ImageData,
        box: Box,
        points: tuple[Any, ...],
        previous: MaskOutput | None,
    ) -> MaskOutput:
        import torch

        obj, frame_img, geo = self._object(image, box)
        ox, oy, sx, sy, _, _ = geo
        # The interactor was trained with at most max_points clicks; the latest matter most.
        used = list(points)[-self.max_points :]
        with torch.no_grad():
            if used:
                coords = torch.tensor(
                    [[[(p.x - ox + 0.5) * sx, (p.y - oy + 0.5) * sy] for p in used]],
                    dtype=torch.float32,
                    device=self.device,
                )
                labels = torch.tensor([[p.label for p in used]], device=self.device)
                logits = self.decoder.predict(obj, frame_img, coords, labels)
            else:
                logits = self.decoder.predict(obj, frame_img)
        roi = self._roi(image, box, used, previous, geo)
        mask, prob = self._to_image(logits[0, 0], roi, geo, image.height, image.width)
        score = float(torch.sigmoid(logits).amax().item()) if mask.any() else 0.0
        report = StageReport(
            stage="correct",
            name=self.name,
            learned=True,
            model=f"pisam-{self.sam_model}",
            checkpoint_sha256=self.checkpoint_sha256,
            device=str(self.device),
            settings={"clicks_used": len(used), "clicks_total": len(points)},
        )
        return MaskOutput(
            mask=mask,
            prob=prob,
            prob_box=roi if prob is not None else None,
            score=score,
            state={"pisam_box": box.as_tuple(), "pisam_clicks": len(used)},
            report=report,
        )

    def _roi(
        self,
        image: ImageData,
        box: Box,
        points: list[Any],
        previous: MaskOutput | None,
        geo: tuple[float, ...],
    ) -> Box:
        """Box grown by ROI_MARGIN ∪ clicks ∪ previous mask box, clipped to the encoded region."""
        ox, oy, _, _, big_h, big_w = geo
        roi = box.expanded(ROI_MARGIN, image.width, image.height)
        xs = [roi.x0, roi.x1] + [p.x for p in points] + [p.x + 1 for p in points]
        ys = [roi.y0, roi.y1] + [p.y for p in points] + [p.y + 1 for p in points]
        if previous is not None:
            prev = Box.from_mask(previous.mask)
            if prev is not None:
                xs += [prev.x0, prev.x1]
                ys += [prev.y0, prev.y1]
        x0 = max(math.floor(min(xs)), int(ox))
        y0 = max(math.floor(min(ys)), int(oy))
        x1 = min(math.ceil(max(xs)), int(ox) + big_w)
        y1 = min(math.ceil(max(ys)), int(oy) + big_h)
        return Box(float(x0), float(y0), float(max(x1, x0 + 1)), float(max(y1, y0 + 1)))

    def _to_image(
        self, logits: Any, roi: Box, geo: tuple[float, ...], height: int, width: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Bilinear resample of frame logits (F, F) over ``roi`` → (full mask, ROI prob)."""
        import torch
        from torch.nn import functional as F

        ox, oy, sx, sy, _, _ = geo
        x0, y0, x1, y1 = roi.int_bounds()
        rw, rh = x1 - x0, y1 - y0
        mask = np.zeros((height, width), dtype=bool)
        keep_prob = rw * rh <= PROB_MAX_PIXELS
        prob = np.empty((rh, rw), dtype=np.float32) if keep_prob else None
        src = logits.float().view(1, 1, *logits.shape[-2:])
        fr = float(self.frame)
        gx = ((torch.arange(x0, x1, device=src.device, dtype=torch.float32) - ox + 0.5) * sx)
        gx = 2 * gx / fr - 1
        for r0 in range(y0, y1, _ROW_CHUNK):
            r1 = min(r0 + _ROW_CHUNK, y1)
            gy = (torch.arange(r0, r1, device=src.device, dtype=torch.float32) - oy + 0.5) * sy
            gy = 2 * gy / fr - 1
            grid = torch.stack(torch.meshgrid(gx, gy, indexing="xy"), dim=-1).unsqueeze(0)
            vals = F.grid_sample(src, grid, mode="bilinear", align_corners=False)[0, 0]
            mask[r0:r1, x0:x1] = (vals > 0).cpu().numpy()
            if prob is not None:
                prob[r0 - y0 : r1 - y0] = torch.sigmoid(vals).cpu().numpy()
        return mask, prob


class PiSamCorrector:
    """CorrectStage: all clicks so far go through Pi-SAM's Precise Interactor, in order.

    The object's box is the prompt's, else the one Pi-SAM used last time, else the
    previous mask's bounding box.
    """

    name = "pisam"
    learned = True

    def __init__(self, pisam: PiSam) -> None:
        self.pisam = pisam

    def correct(self, image: ImageData, prompt: Prompt, previous: MaskOutput) -> MaskOutput:
        return self.pisam.correct(image, prompt, previous)
