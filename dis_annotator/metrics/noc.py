"""The standard interactive-segmentation protocol on real-photo benchmarks (NoC).

Layout: ``SET/images/<stem>.*`` + ``SET/masks/<stem>.png`` with 255 = object,
0 = background, 128 = ignored (never scored, never clicked on). The box is the object's
bounding box plus 3 % of the image width/height on each side, clipped to the image.

After the start (a box, or a first click at the object's interior), each next click goes
to the interior point — the largest distance to the region's edge — of the largest
error region: a foreground click in missed object, a background click in false
foreground. Everything here is numpy/cv2; the thing being measured is a callable, so
this module knows nothing of the engine (docs/adr/0100).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np

BOX_PAD = 0.03
IGNORE_VALUE = 128
MIN_REGION = 1  # a region of one pixel is still an error a click can fix
# Bump when the box, the click rule, the IoU or the stopping rule changes: cached
# trajectories (metrics/trajectory_cache.py) of an older protocol are then not re-used.
PROTOCOL_VERSION = 2  # 2: near-ties of the interior distance break in raster order
# OpenCV's precise distance transform returns equal distances (√50 twice) with float
# noise that depends on the buffer's alignment, so a plain argmax flipped between runs.
TIE = 1e-4


class Click(NamedTuple):
    """A simulated click: ``(x, y)`` = (column, row); ``positive`` = foreground."""

    x: int
    y: int
    positive: bool


BoxTuple = tuple[int, int, int, int]
# segment(box or None, clicks so far, state from the previous call) -> (H×W bool mask, state)
Segmenter = Callable[[BoxTuple | None, Sequence[Click], Any], tuple[np.ndarray, Any]]


@dataclass(frozen=True)
class BenchmarkSet:
    """One benchmark folder: ``images/`` and ``masks/`` side by side."""

    name: str
    root: Path

    @property
    def images(self) -> Path:
        return self.root / "images"

    @property
    def masks(self) -> Path:
        return self.root / "masks"

    def objects(self, parity: str = "all") -> list[tuple[str, Path, Path]]:
        """``[(stem, image, mask)]`` in stem order for the stems with both files;
        ``parity`` "odd" / "even" keeps the 1st, 3rd, … / 2nd, 4th, … of them (develop on
        one half, confirm on the other)."""
        from dis_annotator.io import IMAGE_SUFFIXES
        from dis_annotator.metrics.layout import files_by_stem

        images = files_by_stem(self.images, tuple(IMAGE_SUFFIXES))
        masks = files_by_stem(self.masks, (".png",))
        out = [(k, images[k], masks[k]) for k in sorted(masks) if k in images]
        if parity == "odd":
            return out[0::2]
        if parity == "even":
            return out[1::2]
        return out


def is_benchmark_set(path: Path) -> bool:
    return (path / "images").is_dir() and (path / "masks").is_dir()


def find_benchmark_sets(root: str | Path, names: Sequence[str] | None = None) -> list[BenchmarkSet]:
    """``root`` itself when it has images/ + masks/, else its sub-folders that do (by name);
    only those named in ``names`` when given."""
    root = Path(root)
    if is_benchmark_set(root):
        found = [BenchmarkSet(root.name, root)]
    elif not root.is_dir():
        found = []
    else:
        found = [BenchmarkSet(d.name, d) for d in sorted(root.iterdir()) if d.is_dir() and is_benchmark_set(d)]
    return found if names is None else [s for s in found if s.name in names]


def split_target(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(object, valid)`` H×W bool from a 0/128/255 mask: 128 is neither scored nor clicked."""
    valid = mask != IGNORE_VALUE
    return (mask > IGNORE_VALUE) & valid, valid


def benchmark_box(fg: np.ndarray, pad: float = BOX_PAD) -> BoxTuple | None:
    """``(x0, y0, x1, y1)`` (x1/y1 exclusive): the object's bounding box grown by ``pad`` ×
    the image width/height on each side and clipped; None for an empty object."""
    rows = np.flatnonzero(fg.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(fg.any(axis=0))
    h, w = fg.shape
    dx, dy = round(pad * w), round(pad * h)
    return (max(0, int(cols[0]) - dx), max(0, int(rows[0]) - dy),
            min(w, int(cols[-1]) + 1 + dx), min(h, int(rows[-1]) + 1 + dy))


def iou(pred: np.ndarray, fg: np.ndarray, valid: np.ndarray) -> float:
    """Intersection over union of two H×W bool masks over the ``valid`` pixels only."""
    p = pred & valid
    union = int(np.count_nonzero(p | fg))
    if union == 0:
        return 1.0
    return int(np.count_nonzero(p & fg)) / union


def _interior(region: np.ndarray) -> tuple[int, int]:
    """(row, col) of the pixel farthest from the region's edge (the image border is an edge);
    of pixels within ``TIE`` of the farthest, the first in raster order."""
    dist = cv2.distanceTransform(np.pad(region.astype(np.uint8), 1), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    first = int(np.flatnonzero(dist >= dist.max() - TIE)[0])
    r, c = np.unravel_index(first, dist.shape)
    return int(r) - 1, int(c) - 1


def _largest_region(error: np.ndarray) -> tuple[np.ndarray, int]:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(error.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros_like(error), 0
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return labels == best, int(stats[best, cv2.CC_STAT_AREA])


def next_click(pred: np.ndarray, fg: np.ndarray, valid: np.ndarray) -> Click | None:
    """The protocol's next click for ``pred``, or None when nothing (valid) is wrong.

    Missed object and false foreground are separate regions; the larger of the two
    largest regions wins (ties: the missed object).
    """
    fn, fn_area = _largest_region(fg & ~pred & valid)
    fp, fp_area = _largest_region(pred & ~fg & valid)
    if max(fn_area, fp_area) < MIN_REGION:
        return None
    positive = fn_area >= fp_area
    r, c = _interior(fn if positive else fp)
    return Click(c, r, positive)


@dataclass
class Step:
    """The state after ``clicks`` clicks (0 = the box alone)."""

    clicks: int
    iou: float
    ms: float
    click: Click | None = None


@dataclass
class Trajectory:
    """One object's run: its steps in order (a click start has no step 0)."""

    name: str
    start: str
    steps: list[Step] = field(default_factory=list)
    error: str | None = None
    cached: bool = False  # read from a trajectory cache: its ms were measured back then

    def iou_at(self, k: int) -> float:
        """IoU after ``k`` clicks; a run that stopped early keeps its last IoU."""
        value = math.nan
        for s in self.steps:
            if s.clicks > k:
                break
            value = s.iou
        return value

    def noc(self, threshold: float, cap: int) -> int:
        """Clicks needed to reach ``threshold`` (the box alone counts 0), ``cap`` if never."""
        for s in self.steps:
            if s.iou >= threshold:
                return s.clicks
        return cap

    @property
    def final_iou(self) -> float:
        return self.steps[-1].iou if self.steps else math.nan

    @property
    def start_iou(self) -> float:
        return self.steps[0].iou if self.steps else math.nan


def run_protocol(
    segment: Segmenter,
    mask: np.ndarray,
    start: str = "box",
    max_clicks: int = 20,
    stop_iou: float | None = None,
    name: str = "",
) -> Trajectory:
    """Run the protocol on one object of ``mask`` (H×W uint8, 0/128/255).

    ``start="box"``: the benchmark box first, then up to ``max_clicks`` clicks;
    ``"click"``: the first click at the object's interior, no box, up to ``max_clicks``
    clicks in all. ``stop_iou``: stop once the IoU reaches it (a user would; NoC at or
    below it is unchanged, later checkpoints keep the last IoU). Wall time per call in ms.
    """
    if start not in ("box", "click"):
        raise ValueError(f"start must be 'box' or 'click', got {start!r}")
    fg, valid = split_target(mask)
    traj = Trajectory(name, start)
    if not fg.any():
        traj.error = "empty object mask"
        return traj
    box = benchmark_box(fg) if start == "box" else None
    clicks: list[Click] = []
    state: Any = None
    pred = np.zeros_like(fg)
    k = 0
    if start == "box":
        t0 = time.perf_counter()
        pred, state = segment(box, (), None)
        traj.steps.append(Step(0, iou(pred, fg, valid), (time.perf_counter() - t0) * 1e3))
    while k < max_clicks:
        if traj.steps and stop_iou is not None and traj.steps[-1].iou >= stop_iou:
            break
        click = next_click(pred, fg, valid)
        if click is None:
            break
        clicks.append(click)
        k += 1
        t0 = time.perf_counter()
        pred, state = segment(box, tuple(clicks), state)
        traj.steps.append(Step(k, iou(pred, fg, valid), (time.perf_counter() - t0) * 1e3, click))
    return traj
