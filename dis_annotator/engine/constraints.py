"""Clicks are hard constraints, whatever engine produced the mask.

After every pipeline run each foreground click of the object lies inside the mask and
each background click outside it, earlier clicks included. A learned stage (SAM, Pi-SAM,
IS5Net) may return a mask that ignores a click; it is repaired *locally*: the connected
region of colour similar to the click, bounded by image edges and by a small window, is
added (foreground click) or removed (background click) — the part the user pointed at,
not a single poked pixel. Why: docs/adr/0106-clicks-are-hard-constraints.md.

When two clicks contradict each other on the same pixel, the later one wins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from dis_annotator.engine.types import ImageData, MaskOutput, Point, Prompt

# Window half-size as a fraction of the image diagonal (at least MIN_REACH_PX pixels).
REACH = 0.08
MIN_REACH_PX = 8
# Lab distance (CIE76, OpenCV's 8-bit Lab scaled back to L 0..100) within the region.
COLOUR_TOL = 14.0
# Gradient magnitude (Lab units per pixel, Scharr-normalised) that walls a region in.
EDGE_TOL = 18.0
# Fallback when the click sits on an edge: a disc of this radius (pixels).
MIN_DISC_PX = 2


def pixel(p: Point) -> tuple[int, int]:
    """The mask index ``(row, col)`` a click refers to."""
    return int(p.y), int(p.x)


def violations(mask: np.ndarray, points: Sequence[Point]) -> list[int]:
    """Indices of the clicks on the wrong side of ``mask`` (H×W bool), later clicks
    overriding earlier ones at the same pixel."""
    final: dict[tuple[int, int], int] = {}
    for i, p in enumerate(points):
        final[pixel(p)] = i
    return [i for (r, c), i in sorted(final.items(), key=lambda kv: kv[1])
            if bool(mask[r, c]) != points[i].positive]


def _lab(rgb: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0
    lab[..., 1:] -= 128.0
    return lab


def repair_region(image: np.ndarray, p: Point, reach_px: int | None = None) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The region a violating click stands for: ``(region, (x0, y0, x1, y1))``.

    ``region`` is a bool array over the window ``[y0:y1, x0:x1]`` of ``image`` (H×W×3 uint8
    RGB): pixels 4-connected to the click through colours within ``COLOUR_TOL`` of the
    click's (3×3 median) colour and gradients below ``EDGE_TOL``, inside a disc of
    ``reach_px``; never less than a small disc around the click.
    """
    h, w = image.shape[:2]
    r, c = pixel(p)
    if reach_px is None:
        reach_px = max(MIN_REACH_PX, int(round(REACH * math.hypot(h, w))))
    x0, y0 = max(0, c - reach_px), max(0, r - reach_px)
    x1, y1 = min(w, c + reach_px + 1), min(h, r + reach_px + 1)
    lab = _lab(np.ascontiguousarray(image[y0:y1, x0:x1]))
    cy, cx = r - y0, c - x0
    patch = lab[max(0, cy - 1) : cy + 2, max(0, cx - 1) : cx + 2].reshape(-1, 3)
    ref = np.median(patch, axis=0)
    similar = np.linalg.norm(lab - ref, axis=2) <= COLOUR_TOL
    gx = cv2.Scharr(lab, cv2.CV_32F, 1, 0) / 16.0
    gy = cv2.Scharr(lab, cv2.CV_32F, 0, 1) / 16.0
    grad = np.sqrt((gx**2 + gy**2).sum(axis=2))
    similar &= grad <= EDGE_TOL
    disc = np.zeros(similar.shape, np.uint8)
    cv2.circle(disc, (cx, cy), reach_px, 1, -1)
    similar &= disc.astype(bool)
    core = np.zeros(similar.shape, np.uint8)
    cv2.circle(core, (cx, cy), MIN_DISC_PX, 1, -1)
    similar[cy, cx] = True
    _, lab_cc = cv2.connectedComponents(similar.astype(np.uint8), connectivity=4)
    region = (lab_cc == lab_cc[cy, cx]) | core.astype(bool)
    return region, (x0, y0, x1, y1)


def nearer_to_others(window: tuple[int, int, int, int], p: Point,
                     points: Sequence[Point]) -> np.ndarray | None:
    """Pixels of the window ``(x0, y0, x1, y1)`` nearer to some click of the other label
    than to ``p`` (bool, window-sized), or None when no such pixel exists: a region made
    for one click never reaches past the middle between it and a click of the other
    label (close clicks of opposite labels say the detail is that fine)."""
    x0, y0, x1, y1 = window
    pr, pc = pixel(p)
    out: np.ndarray | None = None
    xs = np.arange(x0, x1, dtype=np.float32)
    ys = np.arange(y0, y1, dtype=np.float32)
    corners = np.array([[x0, y0], [x1 - 1, y0], [x0, y1 - 1], [x1 - 1, y1 - 1]], np.float32)
    for q in points:
        if q.positive == p.positive:
            continue
        qr, qc = pixel(q)
        # Nearer to q than to p is a half-plane: v·(q − p) > (|q|² − |p|²) / 2.
        a, b = float(qc - pc), float(qr - pr)
        t = 0.5 * (qc * qc + qr * qr - pc * pc - pr * pr)
        if not ((corners @ np.array([a, b], np.float32)) > t).any():
            continue  # the window lies wholly on p's side
        side = (ys[:, None] * b + xs[None, :] * a) > t
        out = side if out is None else out | side
    return out


def enforce_clicks(image: np.ndarray, mask: np.ndarray, points: Sequence[Point]) -> tuple[np.ndarray, int]:
    """``(mask', n)``: ``mask`` (H×W bool) with every violating click repaired locally,
    and how many clicks needed a repair. ``mask`` itself is not modified; when nothing
    is violated it is returned as is."""
    bad = violations(mask, points)
    if not bad:
        return mask, 0
    out = mask.copy()
    for i in bad:
        p = points[i]
        region, (x0, y0, x1, y1) = repair_region(image, p)
        # Other clicks keep their side: the region never swallows them or their surround.
        others = nearer_to_others((x0, y0, x1, y1), p, points)
        if others is not None:
            region &= ~others
        window = out[y0:y1, x0:x1]
        if p.positive:
            window |= region
        else:
            window &= ~region
    # Whatever the regions did, each clicked pixel ends on its click's side (latest wins).
    for p in points:
        out[pixel(p)] = p.positive
    return out, len(bad)


def apply_click_constraints(image: ImageData, output: MaskOutput, prompt: Prompt) -> MaskOutput:
    """``output`` with its mask (and soft map, where it has one) obeying ``prompt.points``.

    Returns ``output`` itself, untouched, when no click is violated; otherwise the same
    object with a repaired mask, the soft map set to 1/0 on the changed pixels and
    ``report.settings["click_repairs"]`` = the number of repaired clicks.
    """
    if not prompt.points:
        return output
    fixed, n = enforce_clicks(image.array, output.mask, prompt.points)
    if n == 0:
        return output
    if output.prob is not None and output.prob_box is not None:
        bx0, by0, bx1, by1 = (int(v) for v in output.prob_box.as_tuple())
        changed = (fixed != output.mask)[by0:by1, bx0:bx1]
        if changed.shape == output.prob.shape[:2] and changed.any():
            prob = output.prob.copy()
            prob[changed] = fixed[by0:by1, bx0:bx1][changed].astype(prob.dtype)
            output.prob = prob
    output.mask = fixed
    if output.report is not None:
        output.report.settings["click_repairs"] = n
    return output
