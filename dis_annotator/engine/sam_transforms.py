"""SAM's pre- and post-processing without torchvision, equal to ``SamPredictor``'s.

``ResizeLongestSide.apply_image`` is ``np.array(resize(to_pil_image(img), (h, w)))``: for a
uint8 H×W×3 array torchvision makes an RGB PIL image and calls ``Image.resize`` with
bilinear filtering, so :func:`resize_longest_side` does exactly that with Pillow.
Coordinates scale by ``new/old`` per axis (no half-pixel shift: the prompt encoder adds
0.5 itself). :func:`upsample_logits_roi` computes ``Sam.postprocess_masks`` for a window
of the output only (bilinear, ``align_corners=False``), so a click on a 6000×4000 image
does not upsample 24 M pixels.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def preprocess_shape(old_h: int, old_w: int, long_side: int) -> tuple[int, int]:
    """``ResizeLongestSide.get_preprocess_shape``: (h, w) after resizing the long side."""
    scale = long_side * 1.0 / max(old_h, old_w)
    return int(old_h * scale + 0.5), int(old_w * scale + 0.5)


def resize_longest_side(image: np.ndarray, long_side: int) -> np.ndarray:
    """H×W×3 uint8 → h×w×3 uint8 with ``max(h, w) == long_side`` (PIL bilinear)."""
    h, w = preprocess_shape(image.shape[0], image.shape[1], long_side)
    return np.array(Image.fromarray(np.ascontiguousarray(image)).resize((w, h), Image.BILINEAR))


def scale_coords(
    coords: np.ndarray, original_size: tuple[int, int], long_side: int
) -> np.ndarray:
    """``ResizeLongestSide.apply_coords``: (..., 2) (x, y) in original pixels → input frame."""
    old_h, old_w = original_size
    new_h, new_w = preprocess_shape(old_h, old_w, long_side)
    out = np.array(coords, dtype=float, copy=True)
    out[..., 0] = out[..., 0] * (new_w / old_w)
    out[..., 1] = out[..., 1] * (new_h / old_h)
    return out


def padded_logits(
    low_res: torch.Tensor, img_size: int, input_size: tuple[int, int]
) -> torch.Tensor:
    """First half of ``postprocess_masks``: B×C×256×256 → B×C×h×w (input frame, unpadded)."""
    up = F.interpolate(low_res, (img_size, img_size), mode="bilinear", align_corners=False)
    return up[..., : input_size[0], : input_size[1]]


def _axis_weights(
    in_size: int, out_size: int, start: int, stop: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """PyTorch's bilinear (align_corners=False) source indices and weights for outputs
    ``start..stop-1`` of an axis resized from ``in_size`` to ``out_size``."""
    # float32 arithmetic, as in ATen's area_pixel_compute_scale / _source_index.
    scale = torch.tensor(in_size, dtype=torch.float32) / out_size
    dst = torch.arange(start, stop, dtype=torch.float32)
    src = (scale * (dst + 0.5) - 0.5).clamp_(min=0.0)
    i0 = src.long().clamp_(max=in_size - 1)
    i1 = (i0 + 1).clamp_(max=in_size - 1)
    lam = (src - i0.to(torch.float32)).clamp_(0.0, 1.0)
    return i0, i1, lam


def upsample_window(
    logits: torch.Tensor, out_size: tuple[int, int], window: tuple[int, int, int, int]
) -> torch.Tensor:
    """Bilinear resize of ``logits`` (h×w) to ``out_size`` (H, W), computed only for
    ``window`` = (x0, y0, x1, y1) of the output; returns (y1-y0)×(x1-x0) float32.

    Equals ``F.interpolate(logits[None, None], out_size, mode="bilinear",
    align_corners=False)[0, 0, y0:y1, x0:x1]`` up to float rounding.
    """
    x0, y0, x1, y1 = window
    h, w = logits.shape[-2:]
    r0, r1, ly = _axis_weights(h, out_size[0], y0, y1)
    c0, c1, lx = _axis_weights(w, out_size[1], x0, x1)
    lo, hi = int(r0.min()), int(r1.max()) + 1
    src = logits[lo:hi].to(torch.float32)
    # Separable, horizontal inside and vertical outside like ATen's kernel:
    # out = (1-ly)·((1-lx)·x00 + lx·x01) + ly·((1-lx)·x10 + lx·x11)
    horiz = src.index_select(1, c0).mul_(1 - lx).add_(src.index_select(1, c1).mul_(lx))
    ly_ = ly[:, None]
    out = horiz.index_select(0, r0 - lo).mul_(1 - ly_)
    return out.add_(horiz.index_select(0, r1 - lo).mul_(ly_))


def positive_window(
    logits: torch.Tensor, out_size: tuple[int, int], threshold: float = 0.0
) -> tuple[int, int, int, int] | None:
    """Output window (x0, y0, x1, y1) outside which the upsampled ``logits`` (h×w) are
    all ``<= threshold``; None when no source value exceeds it.

    Bilinear upsampling is a convex combination of source values, so an output pixel can
    exceed the threshold only if one of its (up to 2×2) source pixels does.
    """
    pos = logits > threshold
    if not bool(pos.any()):
        return None
    rows = torch.nonzero(pos.any(dim=1)).flatten()
    cols = torch.nonzero(pos.any(dim=0)).flatten()
    h, w = logits.shape[-2:]
    H, W = out_size

    def span(lo_src: int, hi_src: int, n_in: int, n_out: int) -> tuple[int, int]:
        # Output i reads source floor(s) and floor(s)+1 with s = (i+0.5)*n_in/n_out - 0.5.
        scale = n_in / n_out
        lo = math.floor((lo_src - 1 + 0.5) / scale - 0.5) - 1
        hi = math.ceil((hi_src + 1 + 0.5) / scale - 0.5) + 2
        return max(0, lo), min(n_out, hi)

    ry0, ry1 = span(int(rows[0]), int(rows[-1]), h, H)
    cx0, cx1 = span(int(cols[0]), int(cols[-1]), w, W)
    return cx0, ry0, cx1, ry1
