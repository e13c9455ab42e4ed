"""Small geometric helpers for the object drawers: curves, rotations, ellipses.

All points are (N, 2) float arrays of output-pixel ``(x, y)``.
"""

from __future__ import annotations

import numpy as np

# (cx, cy, rx, ry): the object's centre and the half-extents it should roughly fill
Region = tuple[float, float, float, float]


def bezier(ctrl: np.ndarray, n: int = 64) -> np.ndarray:
    """Points along a Bézier curve of any degree with control points ``ctrl`` (K, 2)."""
    ctrl = np.asarray(ctrl, np.float64)
    t = np.linspace(0.0, 1.0, n)[:, None]
    pts = ctrl
    # de Casteljau on all t at once: (K, 2) → (n, K, 2) → collapse to (n, 2)
    pts = np.broadcast_to(ctrl, (n, *ctrl.shape)).copy()
    while pts.shape[1] > 1:
        pts = (1 - t[:, :, None]) * pts[:, :-1] + t[:, :, None] * pts[:, 1:]
    return pts[:, 0]


def rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def ellipse_points(
    centre: tuple[float, float], rx: float, ry: float, angle: float, n: int = 96,
    t0: float = 0.0, t1: float = 2 * np.pi,
) -> np.ndarray:
    """Points on a rotated ellipse (``angle`` radians) between parameters ``t0``..``t1``."""
    t = np.linspace(t0, t1, n)
    pts = np.stack([rx * np.cos(t), ry * np.sin(t)], 1) @ rotation(angle).T
    return pts + np.asarray(centre)


def wobble(rng: np.random.Generator, pts: np.ndarray, amount: float) -> np.ndarray:
    """Displace a polyline sideways by a smooth random amount (hand-made look)."""
    n = len(pts)
    if n < 3 or amount <= 0:
        return pts
    d = np.gradient(pts, axis=0)
    normal = np.stack([-d[:, 1], d[:, 0]], 1)
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
    k = max(2, n // 8)
    coarse = rng.normal(0.0, amount, k)
    offs = np.interp(np.linspace(0, k - 1, n), np.arange(k), coarse)
    return pts + normal * offs[:, None]


def bent_segment(
    rng: np.random.Generator, p0: np.ndarray, p1: np.ndarray, bend: float, n: int = 6
) -> np.ndarray:
    """A quadratic curve from ``p0`` to ``p1`` whose middle is pushed sideways by ``bend``·length."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    d = p1 - p0
    normal = np.array([-d[1], d[0]])
    mid = (p0 + p1) / 2 + normal * rng.normal(0.0, bend)
    return bezier(np.stack([p0, mid, p1]), n)
