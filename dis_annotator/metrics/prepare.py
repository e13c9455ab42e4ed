"""Input convention shared by every measure (the standard SOD toolboxes' ``prepare_data``).

``pred``: H×W uint8 map (0–255, soft or binary) → float64 in [0, 1], min-max normalised
per image unless constant (MATLAB's ``mapminmax(im2double(...))``).
``gt``: H×W uint8 mask → bool at ``> 128``.
"""

from __future__ import annotations

import numpy as np

# MATLAB's eps, as the toolboxes use it, so edge cases round the same way.
EPS = float(np.spacing(1))


def as_map(a: np.ndarray, what: str) -> np.ndarray:
    """An H×W uint8 map as the measures expect it: uint8 as is, bool as 0/255.

    Other dtypes are refused: a float map in [0, 1] compared with 128 would silently
    count as empty.
    """
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * 255
    raise ValueError(f"{what} must be uint8 (0-255) or bool, got {a.dtype}")


def check_pair(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(pred, gt)`` as uint8 maps; ``ValueError`` unless they are same-size 2-D maps."""
    if pred.ndim != 2 or gt.ndim != 2:
        raise ValueError(f"pred {pred.shape} and gt {gt.shape} must be 2-D (H×W) maps")
    if pred.shape != gt.shape:
        raise ValueError(f"pred {pred.shape} and gt {gt.shape} differ in size; resize pred first")
    return as_map(pred, "pred"), as_map(gt, "gt")


def prepare(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(pred float64 H×W in [0, 1], gt bool H×W)`` from the uint8 inputs."""
    pred, gt = check_pair(pred, gt)
    g = gt > 128
    p = pred.astype(np.float64) / 255.0
    lo, hi = p.min(), p.max()
    if hi != lo:
        p = (p - lo) / (hi - lo)
    return p, g


def to_levels(pred01: np.ndarray) -> np.ndarray:
    """The prepared map back to 256 integer levels (truncating, as the toolboxes do)."""
    return (pred01 * 255).astype(np.uint8)


def counts_at_thresholds(levels: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(tp, fp)``, each (256,) int64: pixels with ``level >= t`` inside / outside ``gt``.

    Index ``t`` is threshold ``t`` (ascending), for ``t = 0 … 255``.
    """
    fg = np.bincount(levels[gt], minlength=256)
    bg = np.bincount(levels[~gt], minlength=256)
    tp = np.cumsum(fg[::-1])[::-1]
    fp = np.cumsum(bg[::-1])[::-1]
    return tp.astype(np.int64), fp.astype(np.int64)
