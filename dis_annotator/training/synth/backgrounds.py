"""Backgrounds that are hard to separate from thin objects.

Procedural stand-ins for photographs: fractal noise textures, gradients (sky, studio
sweeps), stripes and wood grain, a horizon scene with bokeh, and cluttered shapes —
plus *distractors*: thin lines, grass, twigs and tile grids drawn into the background
(never part of the ground truth), often in the object's own colour, so a thin-structure
detector cannot just threshold colour or edges.
"""

from __future__ import annotations

import cv2
import numpy as np

from dis_annotator.training.synth.canvas import Canvas
from dis_annotator.training.synth.geometry import bent_segment, bezier, wobble
from dis_annotator.training.synth.noise import map_palette, palette, random_colour, value_noise

BACKGROUND_KINDS = ("noise", "gradient", "stripes", "photo", "clutter")


def _noise_bg(rng: np.random.Generator, h: int, w: int, cols: list[np.ndarray]) -> np.ndarray:
    t = value_noise(rng, (h, w), cells=rng.uniform(2, 12), octaves=int(rng.integers(3, 6)),
                    persistence=rng.uniform(0.4, 0.7))
    return map_palette(t, cols)


def _gradient_bg(rng: np.random.Generator, h: int, w: int, cols: list[np.ndarray]) -> np.ndarray:
    # a gradient is smooth: build it at quarter resolution and upsample (4× cheaper)
    qh, qw = max(2, h // 4), max(2, w // 4)
    yy = (np.arange(qh, dtype=np.float32)[:, None] + 0.5) * np.float32(h / qh)
    xx = (np.arange(qw, dtype=np.float32)[None, :] + 0.5) * np.float32(w / qw)
    if rng.random() < 0.5:
        a = rng.uniform(0, 2 * np.pi)
        t = np.float32(np.cos(a) / w) * xx + np.float32(np.sin(a) / h) * yy
    else:
        c = rng.uniform(0, 1, 2) * [w, h]
        t = np.sqrt((xx - np.float32(c[0])) ** 2 + (yy - np.float32(c[1])) ** 2)
    lo, hi = float(t.min()), float(t.max())
    t = (t - lo) / max(hi - lo, 1e-6)
    t = np.clip(t + 0.08 * (value_noise(rng, (qh, qw), 3, 3) - 0.5), 0, 1).astype(np.float32)
    t = cv2.resize(t, (w, h), interpolation=cv2.INTER_LINEAR)
    return map_palette(t, cols[:2])


def _stripes_bg(rng: np.random.Generator, h: int, w: int, cols: list[np.ndarray]) -> np.ndarray:
    a = rng.uniform(0, np.pi)
    period = rng.uniform(6, 60)
    k = np.float32(2 * np.pi / period)
    warp = value_noise(rng, (h, w), rng.uniform(1, 4), 2)  # wood grain
    warp *= np.float32(rng.uniform(0, 40)) * k
    phase = (np.float32(np.cos(a)) * k) * np.arange(w, dtype=np.float32)[None, :] + warp
    phase += (np.float32(np.sin(a)) * k) * np.arange(h, dtype=np.float32)[:, None]
    t = np.sin(phase)
    t *= 0.5
    t += 0.5
    if rng.random() < 0.5:
        t = (t > rng.uniform(0.3, 0.7)).astype(np.float32)
        t = cv2.GaussianBlur(t, (0, 0), rng.uniform(0.5, 2.0))
    t *= 0.8
    t += 0.2 * value_noise(rng, (h, w), 8, 4)
    return map_palette(np.clip(t, 0, 1), cols[:3])


def _photo_bg(rng: np.random.Generator, h: int, w: int, cols: list[np.ndarray]) -> np.ndarray:
    """Sky gradient over a textured ground, with soft out-of-focus light disks."""
    sky = _gradient_bg(rng, h, w, [random_colour(rng, (0.0, 0.6), (0.55, 1.0)),
                                   random_colour(rng, (0.0, 0.4), (0.6, 1.0))])
    ground = _noise_bg(rng, h, w, cols)
    horizon = rng.uniform(0.3, 0.9) * h
    edge = horizon + (value_noise(rng, (1, w), 4, 3)[0] - 0.5) * rng.uniform(0, 0.3) * h
    # soft 3 px horizon: (y − edge(x)) / 3 + 0.5, clipped, all in float32
    yy = np.arange(h, dtype=np.float32)[:, None] / np.float32(3.0)
    m = yy - (edge.astype(np.float32) / np.float32(3.0) - np.float32(0.5))[None, :]
    np.clip(m, 0, 1, out=m)
    img = cv2.blendLinear(sky, ground, 1.0 - m, m)
    # bokeh disks are soft, so they are drawn and blurred at quarter resolution
    q = 4
    blobs = np.zeros((h // q + 1, w // q + 1), np.float32)
    for _ in range(int(rng.integers(0, 25))):
        c = (int(rng.uniform(0, w) / q), int(rng.uniform(0, h) / q))
        big = 0.08 * max(h, w)
        r = int(rng.uniform(min(3.0, big / 2), big) / q) + 1
        cv2.circle(blobs, c, r, float(rng.uniform(0.2, 1)), -1, cv2.LINE_AA)
    blobs = cv2.GaussianBlur(blobs, (0, 0), rng.uniform(2, 8) / q)
    blobs = cv2.resize(blobs, (w, h), interpolation=cv2.INTER_LINEAR)
    light = random_colour(rng, (0.0, 0.5), (0.7, 1.0))
    blend(img, np.minimum(blobs * 0.6, 1.0), light)
    return img


def _clutter_bg(rng: np.random.Generator, h: int, w: int, cols: list[np.ndarray]) -> np.ndarray:
    img = _noise_bg(rng, h, w, cols)
    for _ in range(int(rng.integers(5, 40))):
        col = tuple(float(v) for v in cols[int(rng.integers(len(cols)))] + rng.normal(0, 20, 3))
        c = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        s = rng.uniform(0.02, 0.25) * max(h, w)
        if rng.random() < 0.5:
            cv2.ellipse(img, c, (int(s), int(s * rng.uniform(0.2, 1))), rng.uniform(0, 180), 0, 360,
                        col, -1, cv2.LINE_AA)
        else:
            pts = (np.array(c) + rng.normal(0, s, (int(rng.integers(3, 7)), 2))).astype(np.int32)
            cv2.fillPoly(img, [pts], col, cv2.LINE_AA)
    tex = value_noise(rng, (h, w), rng.uniform(10, 40), 3)
    tex *= 0.3
    tex += 0.85
    return cv2.multiply(img, cv2.merge([tex, tex, tex]))


_MAKERS = {
    "noise": _noise_bg, "gradient": _gradient_bg, "stripes": _stripes_bg,
    "photo": _photo_bg, "clutter": _clutter_bg,
}


def make_background(
    rng: np.random.Generator, size: tuple[int, int]
) -> tuple[np.ndarray, list[np.ndarray], str]:
    """(H×W×3 float32 0..255 image, its palette, its kind) for ``size`` = (W, H)."""
    w, h = size
    kind = str(rng.choice(BACKGROUND_KINDS, p=[0.25, 0.15, 0.15, 0.25, 0.2]))
    cols = palette(rng, int(rng.integers(2, 5)))
    img = _MAKERS[kind](rng, h, w, cols)
    return np.clip(img, 0, 255).astype(np.float32), cols, kind


def _distractor_coverage(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """H×W coverage of thin background clutter of one random kind."""
    w, h = size
    cv = Canvas(size, scale=1)
    kind = rng.choice(["lines", "grass", "twigs", "grid", "scribble"])
    if kind == "lines":  # wires and poles in the background that are not the object
        for _ in range(int(rng.integers(1, 6))):
            p0 = rng.uniform(0, 1, 2) * [w, h]
            p1 = rng.uniform(0, 1, 2) * [w, h]
            mid = (p0 + p1) / 2 + rng.normal(0, 0.1, 2) * [w, h]
            cv.polyline(bezier(np.stack([p0, mid, p1]), 50), 1.0 + 2.0 * rng.random() ** 2)
    elif kind == "grass":
        n = int(rng.integers(20, 120))
        base_y = h * rng.uniform(0.6, 1.05)
        segs = []
        for _ in range(n):
            p0 = np.array([rng.uniform(0, w), base_y + rng.normal(0, 0.05 * h)])
            ln = rng.uniform(0.05, 0.35) * h
            a = -np.pi / 2 + rng.normal(0, 0.35)
            segs.append(bent_segment(rng, p0, p0 + ln * np.array([np.cos(a), np.sin(a)]), 0.15, 8))
        cv.lines(segs, rng.uniform(1.0, 2.5))
    elif kind == "twigs":
        for _ in range(int(rng.integers(2, 10))):
            p = rng.uniform(0, 1, 2) * [w, h]
            a = rng.uniform(0, 2 * np.pi)
            for _ in range(int(rng.integers(2, 6))):
                q = p + rng.uniform(0.05, 0.2) * max(w, h) * np.array([np.cos(a), np.sin(a)])
                cv.polyline(bent_segment(rng, p, q, 0.1, 6), rng.uniform(1.0, 3.0))
                p, a = q, a + rng.normal(0, 0.6)
    elif kind == "grid":  # tiles, window frames
        step = rng.uniform(15, 80)
        ang = rng.normal(0, 0.2)
        d = np.array([np.cos(ang), np.sin(ang)])
        n = np.array([-d[1], d[0]])
        c = np.array([w, h]) / 2
        big = max(w, h) * 1.5
        segs = []
        for k in np.arange(-big, big, step):
            segs.append(np.stack([c + n * k - d * big, c + n * k + d * big]))
            segs.append(np.stack([c + d * k - n * big, c + d * k + n * big]))
        cv.lines(segs, rng.uniform(1.0, 2.5))
    else:
        for _ in range(int(rng.integers(1, 4))):
            ctrl = rng.uniform(0, 1, (int(rng.integers(4, 9)), 2)) * [w, h]
            cv.polyline(wobble(rng, bezier(ctrl, 150), 2.0), 1.0 + rng.random())
    return cv.coverage()


def add_distractors(
    rng: np.random.Generator, bg: np.ndarray, lookalike: np.ndarray, cols: list[np.ndarray]
) -> np.ndarray:
    """Composite 1–2 layers of thin clutter into ``bg``; colours often ``lookalike``'s."""
    h, w = bg.shape[:2]
    for _ in range(int(rng.integers(1, 3))):
        a = _distractor_coverage(rng, (w, h))
        if rng.random() < 0.35:  # out of focus: the object is sharp, the clutter is not
            a = cv2.GaussianBlur(a, (0, 0), rng.uniform(1.0, 3.0)) * rng.uniform(1.0, 2.0)
            a = np.minimum(a, 1.0)
        if rng.random() < 0.5:
            col = lookalike + rng.normal(0, 15, 3)
        else:
            col = cols[int(rng.integers(len(cols)))] + rng.normal(0, 25, 3)
        a *= rng.uniform(0.6, 1.0)
        blend(bg, a, np.clip(col, 0, 255).astype(np.float32))
    return bg


def blend(dst: np.ndarray, alpha: np.ndarray, src: np.ndarray) -> None:
    """In place ``dst = dst·(1−alpha) + src·alpha`` for H×W×3 float32 ``dst``, H×W
    ``alpha`` and a colour (3,) or H×W×3 ``src``, restricted to the rows/cols where
    ``alpha`` is non-zero (clutter is sparse). cv2.blendLinear is ~5× faster than numpy
    broadcasting over the channel axis."""
    rows = np.flatnonzero(alpha.any(axis=1))
    if rows.size == 0:
        return
    cols = np.flatnonzero(alpha.any(axis=0))
    ys, xs = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    d = dst[ys, xs]
    if src.ndim == 3:
        s = np.ascontiguousarray(src[ys, xs], np.float32)
    else:
        s = np.empty_like(d)
        s[:] = np.asarray(src, np.float32)
    a = np.ascontiguousarray(alpha[ys, xs], np.float32)
    dst[ys, xs] = cv2.blendLinear(np.ascontiguousarray(d), s, 1.0 - a, a)
