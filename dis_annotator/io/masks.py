"""Mask outputs: binary 0/255 PNG, RGBA cut-out PNG, COCO RLE — all written atomically."""

from __future__ import annotations

import os
from typing import Any

import cv2
import numpy as np

from dis_annotator.io.atomic import atomic_write_bytes


def encode_png(array: np.ndarray, compression: int = 3) -> bytes:
    """PNG bytes of a H×W (gray), H×W×3 (RGB) or H×W×4 (RGBA) uint8 array."""
    arr = np.ascontiguousarray(array)
    if arr.ndim == 3:
        code = cv2.COLOR_RGB2BGR if arr.shape[2] == 3 else cv2.COLOR_RGBA2BGRA
        arr = cv2.cvtColor(arr, code)
    ok, buf = cv2.imencode(".png", arr, [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:
        raise OSError("PNG encoding failed")
    return buf.tobytes()


def _as_0_255(mask: np.ndarray) -> np.ndarray:
    """uint8 0/255 without a full-size int64 temporary (384 MB for an 8K mask)."""
    return mask.astype(bool).view(np.uint8) * np.uint8(255)


def write_mask_png(path: str | os.PathLike[str], mask: np.ndarray) -> None:
    """Single-channel PNG, 0 = background, 255 = object, at the mask's full size."""
    if mask.ndim != 2:
        raise ValueError(f"mask must be H×W, got {mask.shape}")
    atomic_write_bytes(path, encode_png(_as_0_255(mask)))


def write_cutout_png(
    path: str | os.PathLike[str], image: np.ndarray, mask: np.ndarray, crop: bool = False
) -> None:
    """RGBA PNG: the image's colours with the mask as alpha; ``crop`` trims to the mask."""
    if image.shape[:2] != mask.shape:
        raise ValueError(f"image {image.shape[:2]} and mask {mask.shape} sizes differ")
    rgba = np.dstack([image[:, :, :3], _as_0_255(mask)])
    if crop and mask.any():
        rows = np.flatnonzero(mask.any(axis=1))
        cols = np.flatnonzero(mask.any(axis=0))
        rgba = rgba[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    atomic_write_bytes(path, encode_png(rgba))


def read_mask_png(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a mask PNG back as H×W bool (pixels > 127 are the object)."""
    arr = cv2.imread(os.fspath(path), cv2.IMREAD_GRAYSCALE)
    if arr is None:
        raise ValueError(f"{path}: cannot read mask")
    return arr > 127


def _runs(mask: np.ndarray) -> np.ndarray:
    """COCO run lengths: column-major, starting with a (possibly empty) run of zeros."""
    flat = np.asarray(mask, dtype=bool).ravel(order="F")
    if flat.size == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    counts = np.diff(bounds)
    if flat[0]:
        counts = np.concatenate(([0], counts))
    return counts.astype(np.int64)


def _encode_counts(counts: np.ndarray) -> str:
    out: list[str] = []
    cnts = [int(c) for c in counts]
    for i, x in enumerate(cnts):
        if i > 2:
            x -= cnts[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def _decode_counts(s: str) -> list[int]:
    cnts: list[int] = []
    p = 0
    while p < len(s):
        x = k = 0
        more = True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(cnts) > 2:
            x += cnts[-2]
        cnts.append(x)
    return cnts


def mask_to_rle(mask: np.ndarray) -> dict[str, Any]:
    """COCO compressed RLE ``{"size": [h, w], "counts": str}`` (pycocotools-compatible)."""
    h, w = mask.shape
    return {"size": [int(h), int(w)], "counts": _encode_counts(_runs(mask))}


def rle_to_mask(rle: dict[str, Any]) -> np.ndarray:
    """Decode a COCO RLE (compressed string or uncompressed list counts) to H×W bool."""
    h, w = (int(v) for v in rle["size"])
    counts = rle["counts"]
    cnts = _decode_counts(counts) if isinstance(counts, str) else [int(c) for c in counts]
    if sum(cnts) != h * w:
        raise ValueError(f"RLE counts sum to {sum(cnts)}, expected {h * w}")
    values = np.zeros(len(cnts), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, cnts)
    return flat.reshape((h, w), order="F")
