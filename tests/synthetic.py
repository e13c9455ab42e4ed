"""Drawn test images with exact truth (shared by several test folders)."""

from __future__ import annotations

import cv2
import numpy as np


def textured_background(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth colour noise + diagonal stripes + pixel noise, H×W×3 float32."""
    noise = cv2.resize(
        rng.uniform(0, 255, (max(2, h // 16), max(2, w // 16), 3)).astype(np.float32),
        (w, h),
        interpolation=cv2.INTER_CUBIC,
    )
    yy, xx = np.mgrid[0:h, 0:w]
    stripes = (np.sin(xx / 9.0 + yy / 23.0) * 25)[..., None]
    return 0.6 * noise + 60 + stripes + rng.normal(0, 8, (h, w, 3))


def spoked_wheel(size: int = 800, seed: int = 0, spokes: int = 24, spoke_px: int = 2):
    """A dark bicycle wheel (rim, hub, thin spokes) on a busy textured background.

    Returns (image H×W×3 uint8 RGB, truth H×W bool, box (x0, y0, x1, y1)).
    """
    rng = np.random.default_rng(seed)
    h = w = size
    bg = textured_background(h, w, rng)
    cover = np.zeros((h, w), np.uint8)
    c = (w // 2, h // 2)
    r = int(size * 0.38)
    cv2.circle(cover, c, r, 255, max(3, size // 100), lineType=cv2.LINE_AA)
    cv2.circle(cover, c, size // 30, 255, -1, lineType=cv2.LINE_AA)
    for k in range(spokes):
        a = 2 * np.pi * k / spokes
        end = (int(c[0] + r * np.cos(a)), int(c[1] + r * np.sin(a)))
        cv2.line(cover, c, end, 255, spoke_px, lineType=cv2.LINE_AA)
    alpha = cover.astype(np.float32)[..., None] / 255.0
    metal = np.array([30, 30, 35], np.float32) + rng.normal(0, 6, (h, w, 3))
    img = np.clip(bg * (1 - alpha) + metal * alpha, 0, 255).astype(np.uint8)
    box = (c[0] - r - 10, c[1] - r - 10, c[0] + r + 10, c[1] + r + 10)
    return img, cover > 127, box


def two_tone_blob(h: int = 600, w: int = 800, seed: int = 1):
    """A solid checker-textured object (ellipse + disc) on smooth colour noise."""
    rng = np.random.default_rng(seed)
    noise = cv2.resize(
        rng.uniform(0, 255, (h // 20, w // 20, 3)).astype(np.float32), (w, h),
        interpolation=cv2.INTER_CUBIC,
    )
    img = np.clip(0.5 * noise + 70 + rng.normal(0, 6, (h, w, 3)), 0, 255)
    gt = np.zeros((h, w), np.uint8)
    cv2.ellipse(gt, (400, 300), (180, 120), 20, 0, 360, 255, -1)
    cv2.circle(gt, (560, 200), 60, 255, -1)
    obj = np.zeros((h, w, 3), np.float32)
    obj[:] = [200, 60, 40]
    obj[(np.indices((h, w)).sum(0) // 25) % 2 == 0] = [90, 140, 100]
    m = gt[..., None] / 255.0
    img = (img * (1 - m) + obj * m + rng.normal(0, 5, (h, w, 3)) * m).clip(0, 255).astype(np.uint8)
    return img, gt > 127, (205, 170, 630, 430)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def shifted_tie_ellipses(count: int = 16):
    """``(region 40×60 bool, (row, col) of its 20×20 crop)`` for the same ellipse at
    ``count`` column offsets. Two of its pixels lie at equal distance from its edge, and
    OpenCV's precise distance transform returns them with float noise that depends on
    the buffer's alignment: a plain argmax picks either (docs/adr/0162)."""
    yy, xx = np.mgrid[:20, :20]
    ellipse = ((yy - 9.483) / 0.7807) ** 2 + (xx - 10.776) ** 2 <= 8.883**2
    for off in range(count):
        region = np.zeros((40, 60), bool)
        region[10:30, 20 + off:40 + off] = ellipse
        yield region, (10, 20 + off)
