"""Cheap procedural noise and colour helpers shared by backgrounds and objects.

Everything is driven by an explicit ``np.random.Generator`` so a seed fixes the output.
Noise is value noise: random grids resized with bicubic interpolation and summed over
octaves, which is an order of magnitude faster than Perlin noise in numpy and looks the
same at the blur levels photographs have.
"""

from __future__ import annotations

import colorsys

import cv2
import numpy as np


def value_noise(
    rng: np.random.Generator,
    shape: tuple[int, int],
    cells: float = 4.0,
    octaves: int = 4,
    persistence: float = 0.5,
) -> np.ndarray:
    """Fractal value noise, H×W float32 normalised to [0, 1].

    ``cells`` is the number of coarse grid cells along the longer side of the first
    octave; each octave doubles it and multiplies the amplitude by ``persistence``.
    """
    h, w = shape
    # octaves are summed at half resolution (finest cells stay >= ~2 px there for the
    # usual settings) and upsampled once: a third of the cost, no visible difference
    sh, sw = (max(2, (h + 1) // 2), max(2, (w + 1) // 2)) if min(h, w) >= 64 else (h, w)
    out = np.zeros((sh, sw), np.float32)
    amp, total = 1.0, 0.0
    c = float(cells)
    for _ in range(octaves):
        gh = max(2, int(round(c * h / max(h, w))) + 2)
        gw = max(2, int(round(c * w / max(h, w))) + 2)
        grid = rng.random((gh, gw), dtype=np.float32)
        out += amp * cv2.resize(grid, (sw, sh), interpolation=cv2.INTER_CUBIC)
        total += amp
        amp *= persistence
        c *= 2.0
    if (sh, sw) != (h, w):
        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
    lo, hi = float(out.min()), float(out.max())
    out -= lo
    out *= 1.0 / max(hi - lo, 1e-6)
    return out


def random_colour(
    rng: np.random.Generator,
    sat: tuple[float, float] = (0.0, 0.8),
    val: tuple[float, float] = (0.1, 0.95),
) -> np.ndarray:
    """One RGB colour (float32, 0..255) drawn in HSV so saturation/value are controlled."""
    h = rng.random()
    s = rng.uniform(*sat)
    v = rng.uniform(*val)
    return np.array(colorsys.hsv_to_rgb(h, s, v), np.float32) * 255.0


def shifted_colour(rng: np.random.Generator, base: np.ndarray, contrast: float) -> np.ndarray:
    """A colour about ``contrast`` (RGB distance, 0..255 scale) away from ``base``.

    Mostly a brightness shift (objects are usually darker or lighter than what is behind
    them) plus a random hue component, clipped to the valid range.
    """
    sign = 1.0 if (base.mean() < 110 or rng.random() < 0.35) and base.mean() < 200 else -1.0
    direction = sign * np.ones(3, np.float32) / np.sqrt(3.0)
    direction = direction + rng.normal(0.0, 0.6, 3).astype(np.float32)
    direction /= max(float(np.linalg.norm(direction)), 1e-6)
    return np.clip(base + contrast * direction, 0.0, 255.0).astype(np.float32)


def palette(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """``n`` related colours: a random base hue with jittered hue, saturation and value."""
    h0 = rng.random()
    s0 = rng.uniform(0.05, 0.7)
    out = []
    for _ in range(n):
        h = (h0 + rng.normal(0.0, 0.08)) % 1.0
        s = float(np.clip(s0 + rng.normal(0.0, 0.15), 0.0, 1.0))
        v = rng.uniform(0.12, 0.95)
        out.append(np.array(colorsys.hsv_to_rgb(h, s, v), np.float32) * 255.0)
    return out


def map_palette(t: np.ndarray, colours: list[np.ndarray]) -> np.ndarray:
    """Map a [0, 1] scalar field (H×W) through a piecewise-linear colour ramp → H×W×3."""
    stops = np.linspace(0.0, 1.0, len(colours))
    cols = np.stack(colours).astype(np.float32)
    levels = np.linspace(0.0, 1.0, 256)
    # a 256-entry lookup table through cv2.LUT: 8-bit quantisation is invisible after
    # JPEG and an order of magnitude faster than per-pixel interpolation
    lut = np.stack([np.interp(levels, stops, cols[:, ch]) for ch in range(3)], 1)
    lut = np.clip(lut + 0.5, 0, 255).astype(np.uint8).reshape(256, 1, 3)
    # one saturating pass to uint8 (t is non-negative, so the "abs" is a no-op)
    idx = cv2.convertScaleAbs(np.asarray(t, np.float32), alpha=255.0, beta=0.5)
    return cv2.LUT(cv2.merge([idx, idx, idx]), lut).astype(np.float32)
