"""Refiner training samples from a dataset in the DIS5K layout.

One sample = one GT component (GT enrichment, :func:`dis5k.enrich_components`: every
8-connected component, plus the whole GT when there are several; tiny ones dropped) of
one image. Like the refine stage at inference (:mod:`dis_annotator.engine.is5net_stage`),
the net sees the component's box grown by ``margin``, resized to ``size``², with the
same :func:`build_input` channels: RGB/255 − 0.5, coarse mask, filled box.

Cache (``cache_dir``, on disk, per sample, keyed by file identity, size and margin):
the ROI image and GT at ``size``² (uint8), and the component's GT in SAM's working frame
(longest side ≤ 1024) from which coarse masks are drawn. Coarse masks come from
``<root>/<subset>/coarse/<stem>_<k>.png`` (``k`` = sample index within the image, as
written by ``dis-annotator data coarse-masks``) when that file exists, otherwise from
:func:`degrade.sam_like_coarse` on the fly — a new draw every epoch, fixed per sample
when ``fixed_coarse`` (validation).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from dis_annotator.engine.is5net_stage import DEFAULT_MARGIN, build_input
from dis_annotator.engine.types import Box

SAM_FRAME = 1024  # SAM resizes the longest side to 1024; its coarseness lives there.


@dataclass(frozen=True)
class SampleRef:
    """Where one sample comes from: image/GT paths and the component's index."""

    image: str
    gt: str
    k: int


def _read_rgb(path: str) -> np.ndarray:
    from dis_annotator.io import load_image

    return load_image(path)


def _read_gray(path: str) -> np.ndarray:
    a = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if a is None:
        raise OSError(f"cannot read mask {path}")
    return a


def _components(gt: np.ndarray) -> list[np.ndarray]:
    from dis_annotator.training.dis5k import enrich_components

    return [np.asarray(m, bool) for m in enrich_components(gt > 127)]


def _resize_mask(m: np.ndarray, w: int, h: int) -> np.ndarray:
    """uint8 {0,255} → uint8 soft, area-averaged when shrinking (keeps thin parts)."""
    interp = cv2.INTER_AREA if w * h < m.size else cv2.INTER_LINEAR
    return cv2.resize(m, (w, h), interpolation=interp)


class RefinerDataset(Dataset):
    """``ds[i]`` → ``{"x": 5×S×S float32, "gt": 1×S×S float32 in [0, 1], "index": i}``."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        subset: str = "DIS-TR",
        size: int = 1024,
        margin: float = DEFAULT_MARGIN,
        cache_dir: str | os.PathLike[str] | None = None,
        flip: bool = True,
        enrich: bool = True,
        fixed_coarse: bool = False,
        seed: int = 0,
        max_samples: int | None = None,
        with_input: bool = True,
    ) -> None:
        from dis_annotator.training.dis5k import list_pairs

        self.root, self.subset = Path(root), subset
        self.size, self.margin, self.flip, self.enrich = int(size), float(margin), flip, enrich
        self.fixed_coarse, self.seed, self.epoch = fixed_coarse, seed, 0
        # The GT encoder needs only the GT: skip coarse masks and input building.
        self.with_input = with_input
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        pairs = [(str(a), str(b)) for a, b in list_pairs(self.root, subset)]
        if not pairs:
            raise FileNotFoundError(f"no image/GT pairs in {self.root / subset}")
        self.refs = self._index(pairs)
        if max_samples is not None:
            self.refs = self.refs[:max_samples]

    # -- index ------------------------------------------------------------------------
    def _index(self, pairs: list[tuple[str, str]]) -> list[SampleRef]:
        """Components per GT, cached as JSON (reading every GT of DIS5K takes minutes)."""
        key = hashlib.sha1(
            json.dumps([[b, os.path.getmtime(b)] for _, b in pairs] + [self.enrich]).encode()
        ).hexdigest()[:16]
        cached = self.cache_dir / f"index-{self.subset}-{key}.json" if self.cache_dir else None
        if cached is not None and cached.is_file():
            return [SampleRef(*r) for r in json.loads(cached.read_text())]
        refs = []
        for im, gt in pairs:
            n = len(_components(_read_gray(gt))) if self.enrich else 1
            refs.extend(SampleRef(im, gt, k) for k in range(n))
        if cached is not None:
            from dis_annotator.io.atomic import atomic_write_text

            cached.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(cached, json.dumps([[r.image, r.gt, r.k] for r in refs]))
        return refs

    def __len__(self) -> int:
        return len(self.refs)

    # -- per-sample tensors -------------------------------------------------------------
    def _load_base(self, ref: SampleRef) -> dict[str, np.ndarray]:
        """ROI image/GT at size², GT in SAM's frame, ROI/box in that frame (cached)."""
        path = None
        if self.cache_dir is not None:
            ident = f"{ref.image}|{os.path.getmtime(ref.image)}|{ref.gt}|{os.path.getmtime(ref.gt)}"
            key = hashlib.sha1(f"{ident}|{ref.k}|{self.size}|{self.margin}|{self.enrich}".encode())
            path = self.cache_dir / f"{key.hexdigest()}.npz"
            if path.is_file():
                with np.load(path) as z:
                    return {k: z[k] for k in z.files}
        rgb = _read_rgb(ref.image)
        gt_full = _read_gray(ref.gt)
        comps = _components(gt_full) if self.enrich else [gt_full > 127]
        comp = comps[min(ref.k, len(comps) - 1)]
        H, W = comp.shape
        box = Box.from_mask(comp) or Box(0, 0, W, H)
        x0, y0, x1, y1 = box.expanded(self.margin, W, H).int_bounds()
        s = self.size
        img = cv2.resize(rgb[y0:y1, x0:x1], (s, s), interpolation=cv2.INTER_AREA
                         if (x1 - x0) * (y1 - y0) > s * s else cv2.INTER_LINEAR)
        gt = _resize_mask(comp[y0:y1, x0:x1].astype(np.uint8) * 255, s, s)
        scale = min(1.0, SAM_FRAME / max(H, W))
        fw, fh = max(1, round(W * scale)), max(1, round(H * scale))
        frame = _resize_mask(comp.astype(np.uint8) * 255, fw, fh)
        base = {
            "img": img, "gt": gt, "frame_gt": frame,
            "roi": np.array([x0, y0, x1, y1], np.float64) * scale,
            "box": np.array(box.as_tuple(), np.float64) - [x0, y0, x0, y0],
            "roi_wh": np.array([x1 - x0, y1 - y0], np.float64),
        }
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
            np.savez_compressed(tmp, **base)
            os.replace(tmp, path)
        return base

    def _coarse(self, ref: SampleRef, base: dict[str, np.ndarray], index: int) -> np.ndarray:
        """Coarse mask over the ROI at size², float32 in [0, 1]."""
        s = self.size
        x0, y0, x1, y1 = base["roi"]
        from dis_annotator.training.dis5k import coarse_path, read_coarse

        pre = coarse_path(self.root, self.subset, Path(ref.image).stem, ref.k)
        if pre.is_file():
            full = read_coarse(pre)
            scale = full.shape[1] / base["frame_gt"].shape[1]
        else:
            from dis_annotator.training.degrade import sam_like_coarse

            epoch = 0 if self.fixed_coarse else self.epoch
            rng = np.random.default_rng([self.seed, index, epoch])
            full = np.asarray(sam_like_coarse(base["frame_gt"] > 127, rng), np.float32)
            scale = 1.0
        xa, ya, xb, yb = (int(round(v * scale)) for v in (x0, y0, x1, y1))
        crop = full[ya:max(yb, ya + 1), xa:max(xb, xa + 1)]
        return np.clip(cv2.resize(crop, (s, s), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | int]:
        ref = self.refs[index]
        base = self._load_base(ref)
        s = self.size
        if self.with_input:
            coarse = self._coarse(ref, base, index)
            rw, rh = base["roi_wh"]
            box = tuple(float(v) for v in base["box"] * [s / rw, s / rh, s / rw, s / rh])
            # build_input on an image already at size² only normalises and draws the box.
            x = build_input(base["img"], coarse, box, s)
        else:
            x = np.zeros((0, s, s), np.float32)
        gt = base["gt"].astype(np.float32)[None] / 255.0
        if self.flip and not self.fixed_coarse:
            rng = np.random.default_rng([self.seed, index, self.epoch, 1])
            if rng.random() < 0.5:
                x, gt = x[:, :, ::-1], gt[:, :, ::-1]
        return {"x": torch.from_numpy(x.copy()), "gt": torch.from_numpy(gt.copy()), "index": index}
