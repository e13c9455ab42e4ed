"""Pi-SAM training data: images + GT → cached SAM-frame entries (embeddings included).

SAM is frozen in both stages, so the ViT runs once per image: :class:`DiskEmbeddingCache`
stores, per image, the encoder output (features), the first global block's output
(interm), the image and GT resized into SAM's frame (unpadded) and the resized shape.
Files are ``<cache>/<sam_model>-<frame>/<content-hash>.pt`` written atomically with
``torch.save`` and read back with ``weights_only=True``. Embeddings are stored as float16
(half the disk; the frozen decoder sees float32 again).
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch


@dataclass
class PiSamItem:
    """One training image: RGB (H, W, 3) uint8 and GT (H, W) bool."""

    image: np.ndarray
    gt: np.ndarray
    name: str = ""


@dataclass
class FrameEntry:
    """One cached image in SAM's frame (F = frame side, s = F/16, (h, w) = resized size).

    features (256, s, s) and interm (s, s, C) float32; rgb (h, w, 3) uint8; gt (h, w) bool.
    """

    features: torch.Tensor
    interm: torch.Tensor
    rgb: np.ndarray
    gt: np.ndarray
    name: str = ""

    @property
    def size(self) -> tuple[int, int]:
        return int(self.gt.shape[0]), int(self.gt.shape[1])


def dis5k_items(root: str | os.PathLike[str], subset: str = "DIS-TR") -> Iterator[PiSamItem]:
    """Items of ``root/<subset>/{im,gt}`` (DIS5K layout); GT binarised at > 127.

    The pairs are listed up front, so a broken layout fails before any encoding.
    """
    from dis_annotator.io import load_image, read_mask_png
    from dis_annotator.training.dis5k import list_pairs

    for image_path, gt_path in list_pairs(root, subset):
        yield PiSamItem(load_image(image_path), read_mask_png(gt_path), Path(image_path).stem)


def synthetic_items(n: int, size: int, seed: int) -> Iterator[PiSamItem]:
    """``n`` synthetic DIS-like samples of ``size``² from the shared generator."""
    from dis_annotator.training.synth import generate_sample

    rng = np.random.default_rng(seed)
    for i in range(n):
        s = generate_sample(rng, (size, size))
        yield PiSamItem(np.asarray(s.image), np.asarray(s.gt) > 0, f"synth-{seed}-{i:05d}")


def frame_arrays(item: PiSamItem, frame: int) -> tuple[np.ndarray, np.ndarray]:
    """Image and GT resized to SAM's frame size (unpadded): (h, w, 3) uint8, (h, w) bool.

    The image goes through SAM's own resize (the pixels the encoder saw); the GT is
    area-averaged to the same size and thresholded at one half.
    """
    import cv2

    from dis_annotator.engine.sam_transforms import preprocess_shape, resize_longest_side

    h, w = item.gt.shape
    nh, nw = preprocess_shape(h, w, frame)
    rgb = resize_longest_side(item.image, frame)
    interp = cv2.INTER_AREA if nh < h else cv2.INTER_LINEAR
    gt = cv2.resize(item.gt.astype(np.float32), (nw, nh), interpolation=interp) >= 0.5
    return rgb, gt


class DiskEmbeddingCache:
    """Disk cache of :class:`FrameEntry` per (SAM model, frame, image content)."""

    def __init__(self, root: str | os.PathLike[str], sam: Any, sam_model: str) -> None:
        self.sam = sam
        self.frame = int(sam.image_encoder.img_size)
        self.dir = Path(root) / f"{sam_model}-{self.frame}"
        self.dir.mkdir(parents=True, exist_ok=True)

    def _key(self, item: PiSamItem) -> str:
        h = hashlib.blake2b(digest_size=16)
        for arr in (item.image, item.gt.astype(np.uint8)):
            h.update(np.asarray(arr.shape, dtype=np.int64).tobytes())
            h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()

    def ensure(self, item: PiSamItem) -> Path:
        """Encode ``item`` unless cached; returns its cache file."""
        from dis_annotator.engine.sam_embedding import encode
        from dis_annotator.io.atomic import atomic_write_bytes

        path = self.dir / f"{self._key(item)}.pt"
        if not path.is_file():
            rgb, gt = frame_arrays(item, self.frame)
            emb = encode(self.sam, item.image, capture_interm=True)
            d = {
                "features": emb.features[0].half().cpu(),
                "interm": emb.interm[0].half().cpu(),
                "rgb": torch.from_numpy(rgb),
                "gt": torch.from_numpy(gt),
                "name": item.name,
            }
            buf = io.BytesIO()
            torch.save(d, buf)
            atomic_write_bytes(path, buf.getvalue())
        return path

    def ensure_all(self, items: Iterable[PiSamItem]) -> list[Path]:
        return [self.ensure(it) for it in items]


def load_entry(path: str | os.PathLike[str]) -> FrameEntry:
    """Read one cached entry (``weights_only=True``)."""
    from dis_annotator.engine.checkpoint import load_checkpoint

    d = load_checkpoint(path)
    return FrameEntry(
        features=d["features"].float(),
        interm=d["interm"].float(),
        rgb=d["rgb"].numpy(),
        gt=d["gt"].numpy().astype(bool),
        name=str(d.get("name", "")),
    )
