"""One synthetic DIS-like sample: a thin object composited over a hard background.

Recipe (all random choices come from the caller's generator, so a seed fixes the sample):

1. draw the object's coverage on a 2× supersampled :class:`Canvas` → alpha (H×W);
   the ground truth is ``alpha > 0.5``;
2. make a background (noise / gradient / stripes / photo-like / clutter) and draw thin
   distractors into it, often in a colour close to the object's;
3. colour the object with a shaded, sometimes two-tone colour field whose contrast to
   the background varies from obvious to marginal; optionally cast a soft shadow
   (background only) and blur the background (depth of field);
4. composite ``bg·(1−alpha) + fg·alpha`` and add camera effects (slight blur, sensor
   noise, vignetting). Because the image is built from the very alpha the GT
   thresholds, every GT pixel is at least half object.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from dis_annotator.geometry import Rect, bbox_of
from dis_annotator.training.synth.backgrounds import add_distractors, blend, make_background
from dis_annotator.training.synth.canvas import Canvas
from dis_annotator.training.synth.geometry import Region
from dis_annotator.training.synth.noise import shifted_colour, value_noise
from dis_annotator.training.synth.organic import draw_creature, draw_lace, draw_text, draw_tree
from dis_annotator.training.synth.structures import draw_lattice, draw_net, draw_wheel, draw_wires

DRAWERS: dict[str, Callable[[np.random.Generator, Canvas, Region], None]] = {
    "wires": draw_wires,
    "wheel": draw_wheel,
    "net": draw_net,
    "tree": draw_tree,
    "lattice": draw_lattice,
    "text": draw_text,
    "lace": draw_lace,
    "creature": draw_creature,
}
KINDS: tuple[str, ...] = tuple(DRAWERS)

# objects smaller than this fraction of the image are redrawn (a DIS image shows its object)
_MIN_FRACTION = 0.003
# share of images with a second object: the GT then has several components, so GT
# enrichment yields per-object samples whose box must select one object of two
P_SECOND_OBJECT = 0.25


@dataclass
class SynthSample:
    """``image`` H×W×3 uint8 RGB; ``gt`` H×W uint8 0/255; ``box`` (x0, y0, x1, y1) of the
    GT with x1/y1 exclusive; ``kind`` the object kind; ``alpha`` the exact coverage
    (H×W float32) that ``gt`` thresholds at 0.5."""

    image: np.ndarray
    gt: np.ndarray
    kind: str
    box: Rect
    alpha: np.ndarray | None = None
    background: str = ""


def _region(rng: np.random.Generator, w: int, h: int) -> Region:
    rx = w * rng.uniform(0.22, 0.45)
    ry = h * rng.uniform(0.22, 0.45)
    cx = w * 0.5 + rng.uniform(-1, 1) * (w * 0.5 - rx) * 0.8
    cy = h * 0.5 + rng.uniform(-1, 1) * (h * 0.5 - ry) * 0.8
    return (cx, cy, rx, ry)


def _second_region(rng: np.random.Generator, w: int, h: int, first: Region) -> Region:
    """A smaller region as far from ``first`` as 8 random tries allow (may still touch)."""
    rx, ry = w * rng.uniform(0.1, 0.2), h * rng.uniform(0.1, 0.2)
    cand = np.stack([rng.uniform(rx, w - rx, 8), rng.uniform(ry, h - ry, 8)], 1)
    fx, fy, frx, fry = first
    d = ((cand[:, 0] - fx) / (frx + rx)) ** 2 + ((cand[:, 1] - fy) / (fry + ry)) ** 2
    cx, cy = cand[int(np.argmax(d))]
    return (float(cx), float(cy), rx, ry)


def _draw_object(
    rng: np.random.Generator, size: tuple[int, int], kinds: Sequence[str]
) -> tuple[np.ndarray, str]:
    w, h = size
    for _ in range(20):
        kind = str(kinds[int(rng.integers(len(kinds)))])
        cv = Canvas(size, scale=2)
        region = _region(rng, w, h)
        DRAWERS[kind](rng, cv, region)
        if rng.random() < P_SECOND_OBJECT:  # a second, separate object (GT enrichment, prompts)
            other = str(kinds[int(rng.integers(len(kinds)))])
            DRAWERS[other](rng, cv, _second_region(rng, w, h, region))
        alpha = cv.coverage()
        if np.count_nonzero(alpha > 0.5) >= _MIN_FRACTION * w * h:
            return alpha, kind
    raise RuntimeError(f"could not draw a visible object of kinds {list(kinds)} at {size}")


def _fg_field(
    rng: np.random.Generator, bg: np.ndarray, alpha: np.ndarray, cols: list[np.ndarray]
) -> np.ndarray:
    """h×w×3 object colour over the crop ``alpha`` covers (``bg`` is the same crop):
    near-background contrast is common, shading always varies."""
    h, w = alpha.shape
    local = np.array(cv2.mean(bg)[:3], np.float32)
    contrast = 20.0 + 110.0 * rng.random() ** 1.5
    if rng.random() < 0.25:  # camouflage: take one of the background's own colours
        base = cols[int(rng.integers(len(cols)))] + rng.normal(0, 10, 3)
        if np.linalg.norm(base - local) < 20:
            base = shifted_colour(rng, local, contrast)
    else:
        base = shifted_colour(rng, local, contrast)
    base = np.clip(base, 0, 255).astype(np.float32)
    cells = max(2.0, rng.uniform(2, 10) * max(h, w) / 512)
    shade = value_noise(rng, (h, w), cells, 3)
    amp = rng.uniform(0.1, 0.6)
    shade_f = (1 - amp / 2) + amp * shade
    fg = cv2.merge([shade_f * float(c) for c in base])
    if rng.random() < 0.3:  # two-tone (painted, rusty, partly lit)
        other = shifted_colour(rng, base, rng.uniform(30, 90))
        m = cv2.GaussianBlur((shade > rng.uniform(0.3, 0.7)).astype(np.float32), (0, 0), 3)
        blend(fg, m, other)
    if rng.random() < 0.3:  # specular highlights on metal wires
        spec = value_noise(rng, (h, w), max(2.0, rng.uniform(10, 30) * max(h, w) / 512), 2) ** 6
        spec *= 255 * rng.uniform(0.3, 0.8)
        fg += cv2.merge([spec, spec, spec])
    return np.clip(fg, 0, 255, out=fg)


def generate_sample(
    rng: np.random.Generator,
    size: tuple[int, int] = (512, 512),
    kinds: Sequence[str] | None = None,
) -> SynthSample:
    """One DIS-like image with exact GT; ``size`` is (width, height) in pixels.

    ``kinds`` restricts the object kinds (default: all of :data:`KINDS`). A quarter of
    the images hold a second, smaller object elsewhere (also GT); ``kind`` names the
    main one.
    """
    kinds = list(KINDS if kinds is None else kinds)
    unknown = [k for k in kinds if k not in DRAWERS]
    if unknown or not kinds:
        raise ValueError(f"unknown synthetic kinds {unknown}; choose from {list(KINDS)}")
    w, h = int(size[0]), int(size[1])
    if w < 32 or h < 32:
        raise ValueError(f"size {size} too small (minimum 32×32)")
    alpha, kind = _draw_object(rng, (w, h), kinds)
    gt_bool = alpha > 0.5
    # the object's colour is only needed where it has any coverage
    ax0, ay0, ax1, ay1 = bbox_of(alpha > 0)
    crop = (slice(ay0, ay1), slice(ax0, ax1))
    a_crop = np.ascontiguousarray(alpha[crop])
    bg, cols, bg_kind = make_background(rng, (w, h))
    fg = _fg_field(rng, bg[crop], a_crop, cols)
    if rng.random() < 0.75:
        # distractors in the object's own colour
        lookalike = np.array(cv2.mean(fg, gt_bool[crop].astype(np.uint8))[:3], np.float32)
        bg = add_distractors(rng, bg, lookalike, cols)
    if rng.random() < 0.35:  # depth of field: the background is out of focus
        bg = cv2.GaussianBlur(bg, (0, 0), rng.uniform(0.8, 3.5))
    if rng.random() < 0.35:  # a soft cast shadow darkens the background, not the GT
        shift = rng.normal(0, 0.03, 2) * [w, h]
        m = np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])
        sh = cv2.warpAffine(alpha, m, (w, h))
        sh = cv2.GaussianBlur(sh, (0, 0), rng.uniform(1.0, 6.0))
        blend(bg, sh * rng.uniform(0.2, 0.6), np.zeros(3, np.float32))
    img = bg
    sub = img[crop]
    blend(sub, a_crop, fg)
    if rng.random() < 0.5:  # lens softness
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 0.8))
    if rng.random() < 0.3:  # vignetting
        yy = ((np.arange(h, dtype=np.float32) - h / 2) / h) ** 2
        xx = ((np.arange(w, dtype=np.float32) - w / 2) / w) ** 2
        blend(img, rng.uniform(0.2, 0.6) * (yy[:, None] + xx[None, :]), np.zeros(3, np.float32))
    # sensor noise: full-resolution luminance noise plus coarser chroma noise
    sigma = rng.uniform(0.5, 6.0)
    lum = rng.standard_normal((h, w), dtype=np.float32) * np.float32(sigma)
    img += cv2.merge([lum, lum, lum])
    chroma = rng.standard_normal((h // 2 + 1, w // 2 + 1, 3), dtype=np.float32) * (sigma * 0.5)
    img += cv2.resize(chroma, (w, h), interpolation=cv2.INTER_LINEAR)
    image = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    box = bbox_of(gt_bool)
    if box is None:  # every drawer paints something; an empty GT is a bug there
        raise ValueError(f"{kind}: the drawn object has no pixels")
    gt = gt_bool.astype(np.uint8) * 255
    return SynthSample(image=image, gt=gt, kind=kind, box=box, alpha=alpha, background=bg_kind)
