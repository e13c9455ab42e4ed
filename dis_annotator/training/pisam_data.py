"""Pi-SAM training data: images + GT → cached SAM-frame entries (embeddings included).

SAM is frozen in both stages, so the ViT runs once per image: :class:`EmbeddingCache`
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

from dis_annotator.nets.pisam.frame import PIXEL_MEAN, PIXEL_STD, resized_shape


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


def dis5k_items(root: str | os.PathLike[str], subset: str | None = None) -> Iterator[PiSamItem]:
    """Items of a DIS5K-layout folder (``im/*.jpg`` + ``gt/*.png``)."""
    from dis_annotator.io import load_image, read_mask_png
    from dis_annotator.training.dis5k import list_pairs

    for pair in list_pairs(root, subset):
        image_path, gt_path = _pair_paths(pair)
        yield PiSamItem(load_image(image_path), read_mask_png(gt_path) > 0, Path(image_path).stem)


def _pair_paths(pair: Any) -> tuple[Path, Path]:
    if isinstance(pair, tuple | list):
        return Path(pair[0]), Path(pair[1])
    return Path(pair.image), Path(pair.gt)


def synthetic_items(n: int, size: int, seed: int) -> Iterator[PiSamItem]:
    """``n`` synthetic DIS-like samples of ``size``² from the shared generator."""
    from dis_annotator.training.synth import generate_sample

    rng = np.random.default_rng(seed)
    for i in range(n):
        s = generate_sample(rng, size)
        yield PiSamItem(np.asarray(s.image), np.asarray(s.gt) > 0, f"synth-{seed}-{i:05d}")


def frame_arrays(item: PiSamItem, frame: int) -> tuple[np.ndarray, np.ndarray]:
    """Image and GT resized to SAM's frame size (unpadded): (h, w, 3) uint8, (h, w) bool."""
    import cv2

    h, w = item.gt.shape
    nh, nw = resized_shape(h, w, frame)
    interp = cv2.INTER_AREA if nh < h else cv2.INTER_LINEAR
    rgb = cv2.resize(item.image, (nw, nh), interpolation=interp)
    gt = cv2.resize(item.gt.astype(np.float32), (nw, nh), interpolation=interp) >= 0.5
    return rgb, gt


def rgb_to_input(rgb: torch.Tensor, frame: int) -> torch.Tensor:
    """(B, h, w, 3) uint8 resized RGB → (B, 3, frame, frame) normalised and padded."""
    x = rgb.permute(0, 3, 1, 2).float()
    mean = torch.tensor(PIXEL_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(PIXEL_STD, device=x.device).view(1, 3, 1, 1)
    x = (x - mean) / std
    h, w = x.shape[-2:]
    return torch.nn.functional.pad(x, (0, frame - w, 0, frame - h))


class EmbeddingCache:
    """Disk cache of :class:`FrameEntry` per (SAM model, frame, image content)."""

    def __init__(self, root: str | os.PathLike[str], sam: Any, sam_model: str, device: str) -> None:
        self.sam = sam
        self.frame = int(sam.image_encoder.img_size)
        self.dir = Path(root) / f"{sam_model}-{self.frame}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.device = device

    def _key(self, item: PiSamItem) -> str:
        h = hashlib.blake2b(digest_size=16)
        for arr in (item.image, item.gt.astype(np.uint8)):
            h.update(np.asarray(arr.shape, dtype=np.int64).tobytes())
            h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()

    def ensure(self, item: PiSamItem) -> Path:
        """Encode ``item`` unless cached; returns its cache file."""
        from dis_annotator.io.atomic import atomic_write_bytes
        from dis_annotator.training.pisam_tiny import encode_frame

        path = self.dir / f"{self._key(item)}.pt"
        if not path.is_file():
            rgb, gt = frame_arrays(item, self.frame)
            x = rgb_to_input(torch.from_numpy(rgb)[None].to(self.device), self.frame)
            features, interm = encode_frame(self.sam, x)
            d = {
                "features": features[0].half().cpu(),
                "interm": interm[0].half().cpu(),
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
