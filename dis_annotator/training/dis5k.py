"""The DIS5K folder layout, GT enrichment into per-component samples, and coarse-mask paths.

Layout (as distributed, and as :mod:`synth` writes it)::

    ROOT/DIS-TR/im/<stem>.jpg    ROOT/DIS-TR/gt/<stem>.png
    ROOT/DIS-VD/...              ROOT/DIS-TE1/ … ROOT/DIS-TE4/...
    ROOT/<subset>/coarse/<stem>_<k>.png    (written by ``dis-annotator data coarse-masks``)
    ROOT/<subset>/coarse/index.json

Enrichment (DIS-SAM §III-D, official code): the GT splits into 8-connected components;
components under ``min_fraction`` (0.4 %) of the image are dropped; when two or more
remain, the whole GT *and* each component become samples, otherwise the whole GT alone.
Sample ``k`` of an image is ``enrich_components(gt)[k]`` — a pure function of the GT,
so the coarse mask ``<stem>_<k>.png`` always refers to the same target (full image
resolution, 8-bit probability; ``refiner_data`` reads exactly this name).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from dis_annotator.geometry import Rect, bbox_of
from dis_annotator.io import IMAGE_SUFFIXES

SUBSETS: tuple[str, ...] = ("DIS-TR", "DIS-VD", "DIS-TE1", "DIS-TE2", "DIS-TE3", "DIS-TE4")
MIN_FRACTION = 0.004
COARSE_DIR = "coarse"
COARSE_INDEX = "index.json"


class DatasetError(ValueError):
    """A dataset folder that does not follow the DIS5K layout (message says what and where)."""


def _by_stem(folder: Path, suffixes: Sequence[str] | frozenset[str]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.suffix.lower() not in suffixes or p.name.startswith("."):
            continue
        if p.stem in found:
            raise DatasetError(f"{folder}: two files share the stem {p.stem!r}: "
                               f"{found[p.stem].name}, {p.name}")
        found[p.stem] = p
    return found


def available_subsets(root: str | os.PathLike[str]) -> list[str]:
    """Subset names under ``root`` that have both ``im/`` and ``gt/`` folders."""
    r = Path(root)
    if not r.is_dir():
        return []
    return sorted(p.name for p in r.iterdir() if (p / "im").is_dir() and (p / "gt").is_dir())


def list_pairs(root: str | os.PathLike[str], subset: str) -> list[tuple[Path, Path]]:
    """(image, GT) paths of ``subset`` under a DIS5K ``root``, matched by stem, sorted.

    Raises :class:`DatasetError` (a ``ValueError``) for an unknown subset name, missing
    folders, an empty subset, or images and GTs that do not pair up one to one.
    """
    if subset not in SUBSETS:
        raise DatasetError(f"unknown subset {subset!r}; DIS5K subsets are {', '.join(SUBSETS)}")
    r = Path(root)
    if not r.is_dir():
        raise DatasetError(f"dataset root {r} does not exist or is not a folder")
    sub = r / subset
    if not sub.is_dir():
        have = available_subsets(r)
        raise DatasetError(f"{sub} not found; subsets under {r}: {', '.join(have) or 'none'}")
    for part in ("im", "gt"):
        if not (sub / part).is_dir():
            raise DatasetError(f"{sub / part} not found (expected {subset}/im and {subset}/gt)")
    ims = _by_stem(sub / "im", IMAGE_SUFFIXES)
    gts = _by_stem(sub / "gt", {".png", ".bmp", ".tif", ".tiff"})
    no_gt = sorted(set(ims) - set(gts))
    no_im = sorted(set(gts) - set(ims))
    if no_gt or no_im:
        parts = []
        if no_gt:
            parts.append(f"{len(no_gt)} image(s) without GT (e.g. {', '.join(no_gt[:3])})")
        if no_im:
            parts.append(f"{len(no_im)} GT(s) without image (e.g. {', '.join(no_im[:3])})")
        raise DatasetError(f"{sub}: " + "; ".join(parts))
    if not ims:
        raise DatasetError(f"{sub}: no images in im/ (suffixes {', '.join(sorted(IMAGE_SUFFIXES))})")
    return [(ims[s], gts[s]) for s in sorted(ims)]


def binarize_gt(gt: np.ndarray) -> np.ndarray:
    """H×W bool from a GT given as bool, 0/1 or 0..255 (antialiased GTs: > 127)."""
    g = np.asarray(gt)
    if g.ndim == 3:
        g = g[..., 0]
    if g.ndim != 2:
        raise ValueError(f"GT must be H×W, got shape {g.shape}")
    if g.dtype == bool:
        return g
    return g > (127 if g.max(initial=0) > 1 else 0)


def enrich_components(gt: np.ndarray, min_fraction: float = MIN_FRACTION) -> list[np.ndarray]:
    """Training targets from one GT: ``[whole]`` or ``[whole, comp_1, …, comp_n]`` (H×W bool).

    Components are 8-connected, in raster order of their first pixel; those smaller
    than ``min_fraction`` × H × W are not samples of their own (the whole GT keeps them).
    An empty GT gives ``[]``.
    """
    mask = binarize_gt(gt)
    if not mask.any():
        return []
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    min_area = min_fraction * mask.size
    kept = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_area]
    if len(kept) < 2:
        return [mask]
    return [mask] + [labels == i for i in kept]


def component_box(mask: np.ndarray) -> Rect:
    """Tight ``(x0, y0, x1, y1)`` of the True pixels (x1/y1 exclusive); ValueError if empty."""
    box = bbox_of(np.asarray(mask).astype(bool))
    if box is None:
        raise ValueError("component_box of an empty mask")
    return box


def coarse_dir(root: str | os.PathLike[str], subset: str) -> Path:
    """Folder of precomputed coarse masks of ``subset``."""
    return Path(root) / subset / COARSE_DIR


def coarse_path(root: str | os.PathLike[str], subset: str, stem: str, k: int) -> Path:
    """PNG of the coarse mask for sample ``k`` (``enrich_components(gt)[k]``) of ``stem``."""
    return coarse_dir(root, subset) / f"{stem}_{k}.png"


def read_coarse(path: str | os.PathLike[str]) -> np.ndarray:
    """A coarse-mask PNG (8-bit probability) → H×W float32 in [0, 1]."""
    arr = cv2.imread(os.fspath(path), cv2.IMREAD_GRAYSCALE)
    if arr is None:
        raise DatasetError(f"{path}: cannot read coarse mask")
    return arr.astype(np.float32) / 255.0
