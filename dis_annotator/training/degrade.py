"""SAM-like coarse masks made from ground truth, so the refiner trains without SAM.

SAM predicts 256×256 low-resolution logits for a 1024² view of the image and upsamples
them bilinearly; a structure a few pixels wide in the full image is under one low-res
pixel and mostly vanishes, meshes get filled or lost, and edges come out round and
blurry. :func:`sam_like_coarse` imitates exactly those failures on a GT mask:

1. **view** — the whole image (like SAM on the full frame) or the GT box plus a margin
   (like a crop-to-box SAM); ``s`` = view's long side / 256 full-res px per low-res px;
2. **fill meshes** (sometimes) — closing with radius 2–6·s, nets become blobs;
3. **thin parts: lost here, fattened there** — an opening with radius 0.75–1.5·s
   removes every structure thinner than ~1.5–3 low-res pixels (wires, spokes, twigs),
   a dilation by 0.5–1.5·s keeps them as fat blurry strokes; a random smooth noise
   map decides which happens where, with a random lost fraction (SAM detects some
   wires of a fence and misses others). Sometimes skipped after a fill;
4. **dilate / erode** by up to ±0.5·s (SAM's masks are often a bit fat or thin);
5. **missing chunks / extra blobs** (sometimes) — ellipses cut out of the object or
   added next to it (SAM leaking into similar background);
6. **resolution** — area-downsample the view to 256 on its long side, Gaussian blur
   (σ up to 1 low-res px), upsample back bilinearly (or, sometimes, nearest: jagged
   staircase edges) and squash through a sigmoid of random sharpness (rescaled so that 0 stays 0)
   → probabilities.

Views longer than 1024 px are processed at 1024 (area-downsampled, strokes covering a
third of a pixel kept) and the result upsampled: SAM resolves nothing finer anyway, and
a 12 MP GT then takes ~0.3 s instead of seconds.

The output is a float32 probability map in [0, 1] at full resolution (0 outside the
view); :func:`sam_like_coarse_binary` thresholds it at 0.5. Every random choice comes
from the caller's generator, so a seed fixes the mask. Typical IoU with the GT is given
by ``benchmarks/synth_speed.py`` (thin synthetic objects: see docs/adr/0021).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

LOW_RES = 256  # SAM's mask decoder output size
WORK_MAX = 4 * LOW_RES  # longest side the morphology works at


@dataclass(frozen=True)
class CoarseConfig:
    """Probabilities and ranges of the degradation steps (see the module docstring)."""

    p_roi: float = 0.5  # view = GT box + margin instead of the whole image
    roi_margin: tuple[float, float] = (0.05, 0.3)  # margin × box size on every side
    p_fill: float = 0.3  # fill meshes with a closing first
    fill_radius: tuple[float, float] = (2.0, 6.0)  # × s
    p_keep_thin_after_fill: float = 0.5  # after filling, skip the opening this often
    open_radius: tuple[float, float] = (0.75, 1.5)  # × s; structures thinner vanish
    fatten_radius: tuple[float, float] = (0.5, 1.5)  # × s; where thin parts survive
    lost_fraction: tuple[float, float] = (0.0, 1.0)  # share of the view losing thin parts
    morph_radius: tuple[float, float] = (-0.5, 0.5)  # × s; < 0 erode, > 0 dilate
    p_chunks: float = 0.3  # cut 1–3 ellipses out of the object
    p_blobs: float = 0.3  # add 1–3 ellipses next to it
    chunk_size: tuple[float, float] = (0.05, 0.25)  # × box long side (ellipse semi-axis)
    blur_sigma: tuple[float, float] = (0.0, 1.0)  # low-res pixels
    p_nearest: float = 0.2  # nearest-neighbour upsampling (staircase edges)
    sharpness: tuple[float, float] = (4.0, 16.0)  # sigmoid gain on the upsampled coverage
    # SAM is never sharper than ~2 px of the full image, even on small images (its
    # decoder is coarse before its resolution is), so s is at least this
    min_scale: float = 2.0


def _disk(radius: float) -> np.ndarray | None:
    r = int(round(radius))
    if r < 1:
        return None
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _ellipses(rng: np.random.Generator, m: np.ndarray, centres: np.ndarray, size: float,
              value: int) -> None:
    for cx, cy in centres:
        axes = (max(1, int(size * rng.uniform(0.5, 1.0))), max(1, int(size * rng.uniform(0.3, 1.0))))
        cv2.ellipse(m, (int(cx), int(cy)), axes, rng.uniform(0, 180), 0, 360, value, -1)


def sam_like_coarse(
    gt: np.ndarray, rng: np.random.Generator, config: CoarseConfig | None = None
) -> np.ndarray:
    """SAM-like coarse probability map (H×W float32 in [0, 1]) for a GT mask (H×W bool/uint8)."""
    cfg = config or CoarseConfig()
    gt = np.asarray(gt)
    if gt.ndim != 2:
        raise ValueError(f"gt must be H×W, got shape {gt.shape}")
    mask = (gt > 0).astype(np.uint8) if gt.dtype != bool else gt.astype(np.uint8)
    h, w = mask.shape
    out = np.zeros((h, w), np.float32)
    if not mask.any():
        return out
    bx0, by0, bx1, by1 = _box(mask)
    if rng.random() < cfg.p_roi:
        mx = (bx1 - bx0) * rng.uniform(*cfg.roi_margin)
        my = (by1 - by0) * rng.uniform(*cfg.roi_margin)
        x0, y0 = max(0, int(bx0 - mx)), max(0, int(by0 - my))
        x1, y1 = min(w, int(np.ceil(bx1 + mx))), min(h, int(np.ceil(by1 + my)))
    else:
        x0, y0, x1, y1 = 0, 0, w, h
    m = np.ascontiguousarray(mask[y0:y1, x0:x1])
    vh, vw = m.shape
    s_full = max(max(vh, vw) / LOW_RES, cfg.min_scale)  # full-res pixels per low-res pixel
    # morphology runs at ≤ WORK_MAX px (4 working px per low-res px): on a 4000 px DIS5K
    # image full-resolution kernels would take seconds for nothing SAM could resolve
    f = min(1.0, WORK_MAX / max(vh, vw))
    if f < 1.0:
        size_w = (max(1, round(vw * f)), max(1, round(vh * f)))
        cover = cv2.resize(m.astype(np.float32), size_w, interpolation=cv2.INTER_AREA)
        m = (cover > 0.3).astype(np.uint8)  # keep strokes that cover a third of a pixel
    m_orig = m
    s = s_full * f  # working pixels per low-res pixel
    wh, ww = m.shape

    filled = False
    if rng.random() < cfg.p_fill:
        k = _disk(rng.uniform(*cfg.fill_radius) * s)
        if k is not None:
            m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, k)
            filled = True
    if not (filled and rng.random() < cfg.p_keep_thin_after_fill):
        k = _disk(rng.uniform(*cfg.open_radius) * s)
        opened = cv2.morphologyEx(m, cv2.MORPH_OPEN, k) if k is not None else m
        k = _disk(rng.uniform(*cfg.fatten_radius) * s)
        fat = cv2.dilate(m, k) if k is not None else m
        # smooth random field → where thin parts are lost (a few blobs across the view)
        field = cv2.resize(rng.random((4, 4), dtype=np.float32), (ww, wh),
                           interpolation=cv2.INTER_CUBIC)
        lost = field < np.quantile(field, rng.uniform(*cfg.lost_fraction))
        m = np.where(lost, opened, fat)
    r = rng.uniform(*cfg.morph_radius) * s
    k = _disk(abs(r))
    if k is not None:
        m = cv2.dilate(m, k) if r > 0 else cv2.erode(m, k)

    size = max(bx1 - bx0, by1 - by0) * f
    if rng.random() < cfg.p_chunks and m.any():
        ys, xs = np.nonzero(m)
        pick = rng.integers(len(ys), size=int(rng.integers(1, 4)))
        _ellipses(rng, m, np.stack([xs[pick], ys[pick]], 1), size * rng.uniform(*cfg.chunk_size), 0)
    if rng.random() < cfg.p_blobs:
        ys, xs = np.nonzero(m_orig)
        pick = rng.integers(len(ys), size=int(rng.integers(1, 4)))
        jitter = rng.normal(0, 0.1 * size, (len(pick), 2))
        centres = np.stack([xs[pick], ys[pick]], 1) + jitter
        _ellipses(rng, m, centres, size * rng.uniform(*cfg.chunk_size) * 0.6, 1)

    lw, lh = max(1, round(ww / s)), max(1, round(wh / s))
    low = cv2.resize(m.astype(np.float32), (lw, lh), interpolation=cv2.INTER_AREA)
    sigma = rng.uniform(*cfg.blur_sigma)
    if sigma > 0.05:
        low = cv2.GaussianBlur(low, (0, 0), sigma)
    interp = cv2.INTER_NEAREST if rng.random() < cfg.p_nearest else cv2.INTER_LINEAR
    up = cv2.resize(low, (vw, vh), interpolation=interp)
    gain = rng.uniform(*cfg.sharpness)
    # sigmoid rescaled so that coverage 0 → 0 and 1 → 1 exactly (0.5 stays 0.5):
    # far background must not carry a floor probability
    lo = 1.0 / (1.0 + np.exp(gain * 0.5))
    prob = (1.0 / (1.0 + np.exp(-gain * (up - 0.5))) - lo) / (1.0 - 2.0 * lo)
    out[y0:y1, x0:x1] = np.clip(prob, 0.0, 1.0)
    return out


def sam_like_coarse_binary(
    gt: np.ndarray, rng: np.random.Generator, config: CoarseConfig | None = None,
    threshold: float = 0.5,
) -> np.ndarray:
    """H×W bool: :func:`sam_like_coarse` thresholded (SAM's mask = logits > 0)."""
    return sam_like_coarse(gt, rng, config) > threshold
