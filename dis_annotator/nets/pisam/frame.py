"""SAM's input frame: longest side resized to ``frame``, padded bottom/right to ``frame``².

Pi-SAM's head works in this frame (1024² for real SAM); these helpers map images and
clicks into it. Torch only (no torchvision), see docs/adr/0003.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

PIXEL_MEAN = (123.675, 116.28, 103.53)
PIXEL_STD = (58.395, 57.12, 57.375)


def resized_shape(h: int, w: int, frame: int) -> tuple[int, int]:
    """SAM's ``ResizeLongestSide.get_preprocess_shape``: (new_h, new_w)."""
    scale = frame / max(h, w)
    return int(h * scale + 0.5), int(w * scale + 0.5)


def image_to_frame(image: torch.Tensor, frame: int) -> torch.Tensor:
    """uint8/float RGB (H, W, 3) → normalised, padded (1, 3, frame, frame) float32."""
    h, w = image.shape[:2]
    nh, nw = resized_shape(h, w, frame)
    x = image.permute(2, 0, 1).unsqueeze(0).float()
    if (nh, nw) != (h, w):
        x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False, antialias=True)
    mean = torch.tensor(PIXEL_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(PIXEL_STD, device=x.device).view(1, 3, 1, 1)
    x = (x - mean) / std
    return F.pad(x, (0, frame - nw, 0, frame - nh))


def mask_to_frame(mask: torch.Tensor, frame: int) -> torch.Tensor:
    """Bool/float (H, W) → (1, 1, frame, frame) float in [0, 1] (area-resampled, padded 0)."""
    h, w = mask.shape
    nh, nw = resized_shape(h, w, frame)
    x = mask.float().view(1, 1, h, w)
    if (nh, nw) != (h, w):
        x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False, antialias=True)
    return F.pad(x, (0, frame - nw, 0, frame - nh))


def pixel_to_frame(x: float, y: float, h: int, w: int, frame: int) -> tuple[float, float]:
    """Click on pixel (x=column, y=row) of an h×w image → continuous frame coords (x, y).

    The click means the pixel's centre, (x + 0.5, y + 0.5), scaled per axis like SAM's
    resize (``ResizeLongestSide.apply_coords`` does the same without the half pixel).
    """
    nh, nw = resized_shape(h, w, frame)
    return (x + 0.5) * nw / w, (y + 0.5) * nh / h
