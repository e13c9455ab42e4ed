"""Held-out numbers for Pi-SAM: the HR decoder against SAM and the box; clicks before/after.

All measured in SAM's frame over the unpadded region (IoU and MAE of the binary masks).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from dis_annotator.nets.pisam.decoder import PiSamDecoder
from dis_annotator.nets.pisam.sam_decoder_ext import SamDecoderExt
from dis_annotator.training.pisam_batch import (
    clicks_for,
    clicks_tensor,
    frame_pred,
    make_batch,
    sam_decode,
)
from dis_annotator.training.pisam_data import load_entry


def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    union = np.logical_or(pred, gt).sum()
    return 1.0 if union == 0 else float(np.logical_and(pred, gt).sum() / union)


def mae(pred: np.ndarray, gt: np.ndarray) -> float:
    return float(np.mean(pred != gt))


@torch.no_grad()
def evaluate_stage1(
    decoder: PiSamDecoder, sam: Any, paths: list[Any], device: str | torch.device = "cpu"
) -> dict[str, float]:
    """Mean IoU/MAE of Pi-SAM's HR mask, SAM's upsampled low-res mask and the filled box."""
    device = torch.device(device)
    ext = SamDecoderExt(sam.mask_decoder)
    frame = int(sam.image_encoder.img_size)
    rows: dict[str, list[float]] = {k: [] for k in (
        "iou_pisam", "iou_sam", "iou_box", "mae_pisam", "mae_sam", "mae_box")}
    decoder.eval()
    for p in paths:
        e = load_entry(p)
        batch = make_batch([e], frame, device)
        sam_out = sam_decode(sam, ext, batch)
        hr = decoder(sam_out, batch.features, batch.interm, batch.image)
        sam_up = F.interpolate(sam_out.masks[:, :1], size=(frame, frame), mode="bilinear",
                               align_corners=False)
        x0, y0, x1, y1 = (int(round(v)) for v in batch.boxes[0].tolist())
        box = np.zeros_like(e.gt)
        box[y0:y1, x0:x1] = True
        for name, pred in (("pisam", frame_pred(hr[0], e)), ("sam", frame_pred(sam_up[0], e)),
                           ("box", box)):
            rows[f"iou_{name}"].append(iou(pred, e.gt))
            rows[f"mae_{name}"].append(mae(pred, e.gt))
    return {k: float(np.mean(v)) for k, v in rows.items()}


@torch.no_grad()
def evaluate_clicks(
    decoder: PiSamDecoder,
    sam: Any,
    paths: list[Any],
    max_points: int = 10,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> dict[str, float]:
    """IoU/MAE before and after one round of simulated clicks on each image's errors."""
    device = torch.device(device)
    ext = SamDecoderExt(sam.mask_decoder)
    frame = int(sam.image_encoder.img_size)
    rng = np.random.default_rng(seed)
    rows: dict[str, list[float]] = {k: [] for k in (
        "iou_before", "iou_after", "mae_before", "mae_after", "clicks")}
    decoder.eval()
    for p in paths:
        e = load_entry(p)
        batch = make_batch([e], frame, device)
        obj = decoder.embed(sam_decode(sam, ext, batch), batch.features, batch.interm)
        before = frame_pred(decoder.predict(obj, batch.image)[0], e)
        clicks = clicks_for(before, e.gt, max_points, rng)
        after = before
        if clicks:
            coords, labels = clicks_tensor([clicks], device)
            after = frame_pred(decoder.predict(obj, batch.image, coords, labels)[0], e)
        rows["iou_before"].append(iou(before, e.gt))
        rows["iou_after"].append(iou(after, e.gt))
        rows["mae_before"].append(mae(before, e.gt))
        rows["mae_after"].append(mae(after, e.gt))
        rows["clicks"].append(float(len(clicks)))
    return {k: float(np.mean(v)) for k, v in rows.items()}
