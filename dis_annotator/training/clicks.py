"""Simulated user clicks from a prediction's errors (Pi-SAM supplementary, Alg. 2).

Used by Pi-SAM's second training stage and by ``dis-annotator eval --clicks``.

The error ``pred XOR gt`` splits into false negatives (missed foreground → positive
clicks) and false positives (spurious foreground → negative clicks). Each 8-connected
error region of at least ``min_area`` pixels gets
``N = max(1, min(10, floor(sqrt(S) / 10)))`` clicks for area ``S``, drawn without
replacement from the region minus its boundary band (people click neither on the exact
centre nor on the very edge). All clicks are shuffled and the first ``max_points`` kept.

Regions thinner than twice the band (the thin wires DIS is about) have no pixel left
after removing the band; their clicks then come from the region's most interior pixels
(its medial line), which is where a person would click on a wire.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from dis_annotator.engine.types import Point

DEFAULT_MIN_AREA = 8
DEFAULT_BAND = 3.0


def clicks_per_region(area: int) -> int:
    """Pi-SAM's Eq. 1: ``max(1, min(10, sqrt(S) / 10))`` rounded down to whole clicks."""
    return int(max(1, min(10, math.floor(math.sqrt(area) / 10.0))))


def _region_clicks(
    region: np.ndarray,
    positive: bool,
    min_area: int,
    band: float,
    rng: np.random.Generator,
) -> list[Point]:
    """Clicks for every connected region of ``region`` (H×W bool), in label order."""
    if not region.any():
        return []
    mask = region.astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    # Distance of each error pixel to the nearest non-error pixel. One transform for the
    # whole map suffices: 8-connected regions are separated by non-error pixels. The
    # zero padding makes the image border count as a region boundary too.
    dist = cv2.distanceTransform(
        np.pad(mask, 1), cv2.DIST_L2, cv2.DIST_MASK_PRECISE
    )[1:-1, 1:-1]
    points: list[Point] = []
    for label in range(1, n):
        area = int(stats[label, cv2.CC_STAT_AREA])
        if area < min_area:
            continue
        x0 = int(stats[label, cv2.CC_STAT_LEFT])
        y0 = int(stats[label, cv2.CC_STAT_TOP])
        w = int(stats[label, cv2.CC_STAT_WIDTH])
        h = int(stats[label, cv2.CC_STAT_HEIGHT])
        own = labels[y0 : y0 + h, x0 : x0 + w] == label
        d = np.where(own, dist[y0 : y0 + h, x0 : x0 + w], 0.0)
        inner = d > band
        if not inner.any():
            inner = own & (d >= d.max())
        rows, cols = np.nonzero(inner)
        k = min(clicks_per_region(area), rows.size)
        pick = rng.choice(rows.size, size=k, replace=False)
        points.extend(
            Point(float(x0 + cols[i]), float(y0 + rows[i]), positive) for i in pick
        )
    return points


def simulate_clicks(
    pred: np.ndarray,
    gt: np.ndarray,
    max_points: int,
    rng: np.random.Generator,
    min_area: int = DEFAULT_MIN_AREA,
    band: float = DEFAULT_BAND,
) -> list[Point]:
    """Up to ``max_points`` clicks that correct ``pred`` towards ``gt``.

    ``pred``, ``gt``: H×W masks (bool; other dtypes are taken as ``!= 0``). Returns points in the
    project's ``(x, y) = (column, row)`` convention, positive for missed foreground and
    negative for false foreground, in a random (``rng``-determined) order. The same
    inputs and the same seed give the same clicks. ``band`` is the width in pixels of
    each region's boundary strip that is never clicked (unless nothing else is left).
    """
    if pred.shape != gt.shape or pred.ndim != 2:
        raise ValueError(f"pred {pred.shape} and gt {gt.shape} must be the same H×W shape")
    if max_points < 0:
        raise ValueError(f"max_points must be >= 0, got {max_points}")
    p = pred.astype(bool, copy=False)
    g = gt.astype(bool, copy=False)
    points = _region_clicks(g & ~p, True, min_area, band, rng)
    points += _region_clicks(p & ~g, False, min_area, band, rng)
    order = rng.permutation(len(points))
    return [points[i] for i in order[:max_points]]


def points_to_arrays(points: list[Point]) -> tuple[np.ndarray, np.ndarray]:
    """``(coords (N, 2) float32 as (x, y), labels (N,) int64 with 1 = positive)``.

    SAM's prompt-encoder layout, for training code that batches simulated clicks.
    """
    coords = np.array([(p.x, p.y) for p in points], dtype=np.float32).reshape(-1, 2)
    labels = np.array([p.label for p in points], dtype=np.int64)
    return coords, labels
