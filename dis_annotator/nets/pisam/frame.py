"""SAM's input frame for Pi-SAM's RGB embedding: normalise like SAM, pad bottom/right.

The resize itself (long side → frame, PIL bilinear) is SAM's own
(``engine/sam_transforms.resize_longest_side``), shared by training and inference so
the RGB embedding sees the same pixels in both.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

PIXEL_MEAN = (123.675, 116.28, 103.53)
PIXEL_STD = (58.395, 57.12, 57.375)


def normalize_pad(rgb: torch.Tensor, frame: int) -> torch.Tensor:
    """(B, h, w, 3) uint8 resized RGB → (B, 3, frame, frame) float32, normalised, padded."""
    x = rgb.permute(0, 3, 1, 2).float()
    mean = torch.tensor(PIXEL_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(PIXEL_STD, device=x.device).view(1, 3, 1, 1)
    x = (x - mean) / std
    h, w = x.shape[-2:]
    return F.pad(x, (0, frame - w, 0, frame - h))
