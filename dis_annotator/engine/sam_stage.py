"""SAM as the coarse stage: cached image embeddings, box/click prompts, previous logits.

Prompt policy (docs/adr/0041): a box alone (or a single click without a box) uses SAM's
three-mask output and keeps the mask with the highest predicted IoU; follow-up clicks
send all prompts so far plus the previous best 256² logits as ``mask_input`` and ask for
one mask. Pre/post-processing equals ``SamPredictor`` (sam_transforms), the decoder
always runs in float32, the image encoder in float16 on GPU or optional bfloat16 on CPU.

The model, its embedding cache and the crop policy for large images (docs/adr/0042) live
in the shared :class:`~dis_annotator.engine.sam_backbone.SamBackbone`; this stage only
decodes prompts on its embeddings. With ``box_path`` (Pi-SAM's high-resolution decoder)
box prompts go through that decoder instead, point-only prompts still through SAM's.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from dis_annotator.engine.sam_backbone import SamBackbone
from dis_annotator.engine.sam_embedding import SamEmbedding
from dis_annotator.engine.sam_model import model_label
from dis_annotator.engine.sam_transforms import padded_logits, positive_window, upsample_window
from dis_annotator.engine.types import (
    Box,
    ImageData,
    IsCurrent,
    MaskOutput,
    Prompt,
    StageReport,
)
from dis_annotator.geometry import Rect

if TYPE_CHECKING:
    from dis_annotator.engine.pisam_stage import PiSam

# Up to this many pixels the full-frame postprocess is cheap and bit-equal to SamPredictor.
FULL_FRAME_MAX_PIXELS = 4_200_000
# Beyond that, only the window where the mask can be positive is upsampled, unless the
# window is this large a part of the region (then ATen's full-frame kernel is faster).
LARGE_WINDOW_FRACTION = 0.3
PROB_MARGIN = 0.1  # prob_box = box (or mask ∪ clicks) grown by this × size on each side
NO_PISAM = "SAM re-prompting (Pi-SAM needs SAM ViT-B's intermediate features; vit_t has none)"


class SamCoarseStage:
    """:class:`~dis_annotator.engine.stages.CoarseStage` decoding prompts with SAM.

    ``box_path``: Pi-SAM's HR decoder for box prompts (the factory sets it when Pi-SAM
    weights are installed); the stage is then named ``sam-<type>+pisam``. MobileSAM
    (vit_t) never gets one: its backbone has no early ViT feature (``has_interm``), and
    clicks are SAM re-prompting.
    """

    learned = True

    def __init__(self, backbone: SamBackbone, *, box_path: PiSam | None = None) -> None:
        self.backbone = backbone
        self.box_path = box_path
        self.name = backbone.name if box_path is None else f"{backbone.name}+{box_path.name}"

    def prepare(self, image: ImageData, is_current: IsCurrent | None = None) -> None:
        """Encode ``image`` ahead of prompts (see :meth:`SamBackbone.prepare`)."""
        self.backbone.prepare(image, is_current)

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
        dev = self.backbone.device
        model = self.backbone.model
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
            sparse, dense = model.prompt_encoder(points=points, boxes=boxes, masks=masks)
            low, iou = model.mask_decoder(
                image_embeddings=emb.features,
                image_pe=model.prompt_encoder.get_dense_pe(),
                sparse_prompt_embeddings=sparse,
                dense_prompt_embeddings=dense,
                multimask_output=multimask,
            )
        return low, iou

    def predict(self, image: ImageData, prompt: Prompt, previous: MaskOutput | None) -> MaskOutput:
        if self.box_path is not None and prompt.box is not None:
            out = self.box_path.predict_box(image, prompt)
            if out.report is not None:
                out.report.stage = "coarse"
            return out
        return self.predict_sam(image, prompt, previous)

    def predict_sam(self, image: ImageData, prompt: Prompt, previous: MaskOutput | None) -> MaskOutput:
        """SAM's own decoder for ``prompt`` (the box path, if any, is not used)."""
        bb = self.backbone
        prompt = prompt.validated(image.width, image.height)
        prev_state = previous.state if previous is not None else {}
        region = bb.crop_region(image, prompt)
        old = prev_state.get("sam_region")
        if region is not None and old is not None and _contains(Rect(*old), prompt):
            region = Rect(*old)  # keep the frame the previous logits live in
        emb = bb.embedding(image, region=region)
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
            and prev_state.get("sam_model") == bb.name
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
            "encoder_dtype": bb.encoder_dtype,
        }
        if prompt.points and not bb.has_interm:
            settings["clicks"] = NO_PISAM
        return MaskOutput(
            mask=mask,
            prob=prob,
            prob_box=prob_box,
            score=score,
            state={
                "sam_logits": best_low[0].float().cpu().numpy().astype(np.float32),
                "sam_region": region,
                "sam_model": bb.name,
                "sam_ious": [float(v) for v in iou[0].cpu()],
            },
            report=StageReport(
                stage="coarse",
                name=bb.name,
                learned=True,
                model=model_label(bb.model_type),
                checkpoint_sha256=bb.checkpoint_sha256,
                device=str(bb.device),
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
        thr = self.backbone.model.mask_threshold
        up = padded_logits(low.float(), emb.img_size, emb.input_size)
        mask = np.zeros((H, W), dtype=bool)
        win = None
        if oh * ow > FULL_FRAME_MAX_PIXELS:
            found = positive_window(up[0, 0].cpu(), (oh, ow), thr)
            win = Rect(*found) if found is not None else None
        large = win is not None and win.area > LARGE_WINDOW_FRACTION * oh * ow
        if oh * ow <= FULL_FRAME_MAX_PIXELS:
            # Exactly Sam.postprocess_masks' second interpolation (bit-equal results).
            vals = F.interpolate(up, (oh, ow), mode="bilinear", align_corners=False)[0, 0].cpu()
            computed: Rect | None = Rect(0, 0, ow, oh)
        elif large:
            # Most of a large region is needed: OpenCV's bilinear resize (same pixel-centre
            # mapping and edge clamping) is ~6× faster than ATen's here, equal within 5e-4.
            src = np.ascontiguousarray(up[0, 0].cpu().numpy())
            vals = torch.from_numpy(cv2.resize(src, (ow, oh), interpolation=cv2.INTER_LINEAR))
            computed = Rect(0, 0, ow, oh)
        else:
            # One window for the mask and (when the box is known) the prob_box. Outside
            # `win` every upsampled value is a convex combination of values <= thr.
            computed = win
            if prompt.box is not None:
                # the prob_box, shifted from the image into the region frame
                shown = Rect(*self._prob_box(None, prompt, emb).int_bounds()).offset(-ox, -oy)
                computed = shown if win is None else win.union(shown)
            vals = upsample_window(up[0, 0].cpu(), (oh, ow), computed) if computed else None
        if computed is not None and vals is not None:
            cx0, cy0, cx1, cy1 = computed
            mask[oy + cy0 : oy + cy1, ox + cx0 : ox + cx1] = (vals > thr).numpy()
        prob_box = self._prob_box(mask, prompt, emb, computed)
        bx0, by0, bx1, by1 = prob_box.int_bounds()
        rx0, ry0, rx1, ry1 = bx0 - ox, by0 - oy, bx1 - ox, by1 - oy  # region frame
        if computed is not None and computed.contains(Rect(rx0, ry0, rx1, ry1)):
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
        computed: Rect | None = None,
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


def _same_region(a: Any, b: Rect | None) -> bool:
    return (tuple(a) if a is not None else None) == (tuple(b) if b is not None else None)


def _contains(region: Rect, prompt: Prompt) -> bool:
    pts = [(p.x, p.y) for p in prompt.points]
    if prompt.box is not None:
        pts += [(prompt.box.x0, prompt.box.y0), (prompt.box.x1 - 1e-6, prompt.box.y1 - 1e-6)]
    return all(region.contains_point(x, y) for x, y in pts)
