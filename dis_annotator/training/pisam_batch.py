"""Batches for Pi-SAM training and evaluation, and the losses (dense BCE + Dice).

A batch is built from cached :class:`~dis_annotator.training.pisam_data.FrameEntry`
files: embeddings, the padded normalised frame image, the frame GT, a validity mask
(the unpadded part of the frame) and GT boxes in frame pixels. The loss is dense over
the valid pixels (docs/adr/0051).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from dis_annotator.engine.types import Box, Point
from dis_annotator.nets.pisam.decoder import PiSamDecoder
from dis_annotator.nets.pisam.frame import normalize_pad
from dis_annotator.nets.pisam.sam_decoder_ext import (
    SamDecoderExt,
    SamDecoderOutput,
    box_prompt_decode,
)
from dis_annotator.training.pisam_data import FrameEntry


@dataclass
class Batch:
    """B samples in SAM's frame (F) with feature side S = F/4 and embedding side s = F/16.

    features (B,256,s,s); interm (B,s,s,C); image (B,3,F,F); gt (B,1,F,F) float;
    valid (B,1,F,F) float; boxes (B,4) frame pixels (x0,y0,x1,y1); entries: the sources.
    """

    features: torch.Tensor
    interm: torch.Tensor
    image: torch.Tensor
    gt: torch.Tensor
    valid: torch.Tensor
    boxes: torch.Tensor
    entries: list[FrameEntry]


def gt_box(gt: np.ndarray) -> tuple[float, float, float, float]:
    box = Box.from_mask(gt)
    if box is None:  # nothing to find: the whole image is the only honest box
        return 0.0, 0.0, float(gt.shape[1]), float(gt.shape[0])
    return box.as_tuple()


def jitter_box(
    box: tuple[float, float, float, float], amount: float, size: tuple[int, int],
    rng: np.random.Generator,
) -> tuple[float, float, float, float]:
    """Move each side by up to ``amount`` × the box side (users do not draw tight boxes)."""
    if amount <= 0:
        return box
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    d = rng.uniform(-amount, amount, size=4) * np.array([bw, bh, bw, bh])
    h, w = size
    nx0, ny0 = max(0.0, x0 + d[0]), max(0.0, y0 + d[1])
    nx1, ny1 = min(float(w), x1 + d[2]), min(float(h), y1 + d[3])
    if nx1 - nx0 < 1 or ny1 - ny0 < 1:
        return box
    return nx0, ny0, nx1, ny1


def make_batch(
    entries: list[FrameEntry], frame: int, device: torch.device,
    box_jitter: float = 0.0, rng: np.random.Generator | None = None,
) -> Batch:
    rng = rng or np.random.default_rng(0)
    gts, valids, images, boxes = [], [], [], []
    for e in entries:
        h, w = e.size
        g = torch.zeros(1, frame, frame)
        g[0, :h, :w] = torch.from_numpy(e.gt.astype(np.float32))
        v = torch.zeros(1, frame, frame)
        v[0, :h, :w] = 1.0
        gts.append(g)
        valids.append(v)
        rgb = torch.from_numpy(e.rgb)[None]
        images.append(normalize_pad(rgb, frame)[0])
        boxes.append(jitter_box(gt_box(e.gt), box_jitter, (h, w), rng))
    return Batch(
        features=torch.stack([e.features for e in entries]).to(device),
        interm=torch.stack([e.interm for e in entries]).to(device),
        image=torch.stack(images).to(device),
        gt=torch.stack(gts).to(device),
        valid=torch.stack(valids).to(device),
        boxes=torch.tensor(boxes, dtype=torch.float32, device=device),
        entries=entries,
    )


def sam_decode(sam: Any, ext: SamDecoderExt, batch: Batch) -> SamDecoderOutput:
    """Frozen SAM decoder for each sample's box (SAM decodes per image)."""
    outs = [
        box_prompt_decode(sam, batch.features[i : i + 1], batch.boxes[i : i + 1], ext)
        for i in range(batch.features.shape[0])
    ]
    return SamDecoderOutput(
        masks=torch.cat([o.masks for o in outs]),
        iou_pred=torch.cat([o.iou_pred for o in outs]),
        upscaled=torch.cat([o.upscaled for o in outs]),
        object_token=torch.cat([o.object_token for o in outs]),
    )


def low_res_logits(decoder: PiSamDecoder, obj: Any) -> torch.Tensor:
    """(B,1,S,S) mask of the embedded feature read out with SAM's object token.

    Gives the Object Embedder direct supervision at 256² (the paper's loss on both
    resolutions) without adding parameters.
    """
    return torch.einsum("bc,bchw->bhw", obj.object_token, obj.feature).unsqueeze(1)


def bce_dice(logits: torch.Tensor, target: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of (BCE + soft Dice) over valid pixels. All (B,1,H,W)."""
    logits = logits.float()
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    n = valid.sum(dim=(1, 2, 3)).clamp(min=1)
    bce = (bce * valid).sum(dim=(1, 2, 3)) / n
    p = torch.sigmoid(logits) * valid
    t = target * valid
    dice = 1 - (2 * (p * t).sum(dim=(1, 2, 3)) + 1) / (p.sum(dim=(1, 2, 3)) + t.sum(dim=(1, 2, 3)) + 1)
    return (bce + dice).mean()


def downsample(x: torch.Tensor, size: int) -> torch.Tensor:
    """Area-average (B,1,F,F) → (B,1,size,size)."""
    return F.adaptive_avg_pool2d(x, size)


def clicks_for(
    pred: np.ndarray, gt: np.ndarray, max_points: int, rng: np.random.Generator
) -> list[Point]:
    """Shared simulator (Pi-SAM supplementary, Alg. 2) on one prediction's errors."""
    from dis_annotator.training.clicks import simulate_clicks

    return simulate_clicks(pred, gt, max_points, rng)


def clicks_tensor(
    clicks: list[list[Point]], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Clicks per sample (pixel (x=column, y=row) of the frame) → coords (B,N,2), labels (B,N).

    A click on pixel (c, r) means its centre (c + 0.5, r + 0.5); missing ones are −1.
    """
    n = max(1, max((len(c) for c in clicks), default=0))
    coords = torch.zeros(len(clicks), n, 2)
    labels = torch.full((len(clicks), n), -1, dtype=torch.long)
    for i, pts in enumerate(clicks):
        for j, p in enumerate(pts):
            coords[i, j, 0] = p.x + 0.5
            coords[i, j, 1] = p.y + 0.5
            labels[i, j] = p.label
    return coords.to(device), labels.to(device)


def frame_pred(logits: torch.Tensor, entry: FrameEntry) -> np.ndarray:
    """(1,F,F) or (F,F) logits → bool (h, w) over the entry's valid region."""
    h, w = entry.size
    return (logits.reshape(logits.shape[-2:])[:h, :w] > 0).cpu().numpy()
