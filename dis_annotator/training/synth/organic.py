"""Organic and decorative thin structures: branches, lace, text, insects.

Same contract as :mod:`structures`: ``draw_*(rng, canvas, region)`` draws one object.
"""

from __future__ import annotations

import cv2
import numpy as np

from dis_annotator.training.synth.canvas import Canvas
from dis_annotator.training.synth.geometry import (
    Region,
    bent_segment,
    bezier,
    ellipse_points,
    rotation,
    wobble,
)


def draw_tree(rng: np.random.Generator, cv: Canvas, region: Region) -> None:
    """A branching tree, bush or hanging branch: thickness halves down to 1 px twigs."""
    cx, cy, rx, ry = region
    if rng.random() < 0.7:  # a tree growing up from the bottom of its region
        base = np.array([cx + rng.normal(0, 0.1) * rx, cy + ry])
        angle = -np.pi / 2 + rng.normal(0, 0.1)
        length = ry * rng.uniform(0.5, 0.8)
    else:  # a branch reaching in from the side
        left = rng.random() < 0.5
        base = np.array([cx - rx if left else cx + rx, cy + rng.uniform(-0.5, 0.5) * ry])
        angle = (0.0 if left else np.pi) + rng.normal(0, 0.3)
        length = rx * rng.uniform(0.5, 0.8)
    thick = rng.uniform(4.0, 14.0)
    spread = rng.uniform(0.25, 0.8)
    shrink = rng.uniform(0.6, 0.8)
    leaves = rng.random() < 0.3
    budget = 900
    stack = [(base, angle, length, thick, 0)]
    tips = []
    while stack and budget > 0:
        p0, a, ln, t, depth = stack.pop()
        budget -= 1
        p1 = p0 + ln * np.array([np.cos(a), np.sin(a)])
        seg = bent_segment(rng, p0, p1, 0.08, 5)
        t_end = max(0.9, t * rng.uniform(0.65, 0.85))
        cv.tapered(seg, max(t, 1.0), t_end)
        if t_end <= 1.0 or depth >= 9 or ln < 4:
            tips.append(p1)
            continue
        k = 2 if rng.random() < 0.7 else 3
        for i in range(k):
            da = spread * (i - (k - 1) / 2) + rng.normal(0, 0.2)
            stack.append((p1, a + da, ln * rng.uniform(shrink - 0.1, shrink + 0.1),
                          t_end * rng.uniform(0.55, 0.8), depth + 1))
    if leaves and tips:
        size = rng.uniform(1.5, 4.0)
        for p in tips:
            cv.ellipse(tuple(p), (size, size * rng.uniform(0.4, 0.8)), rng.uniform(0, 180))


def _rose(c: np.ndarray, r: float, k: int, rot: float, n: int = 120) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n)
    rr = r * np.abs(np.cos(k * t / 2 if k % 2 == 0 else k * t))
    return np.stack([rr * np.cos(t + rot), rr * np.sin(t + rot)], 1) + c


def draw_lace(rng: np.random.Generator, cv: Canvas, region: Region) -> None:
    """A doily or lace band: rings of small motifs (rosettes, loops, scallops) joined by threads."""
    cx, cy, rx, ry = region
    w = float(1.0 + 1.2 * rng.random() ** 2)
    q = rng.uniform(0.6, 1.0)
    ang = rng.normal(0, 0.3)
    squash = rotation(ang) @ np.diag([1.0, q]) @ rotation(-ang)
    c = np.array([cx, cy])

    def m(pts: np.ndarray) -> np.ndarray:
        return (pts - c) @ squash.T + c

    r_out = min(rx, ry / q)
    rings = int(rng.integers(3, 7))
    radii = np.sort(rng.uniform(0.12, 1.0, rings)) * r_out
    radii[-1] = r_out * 0.92
    strokes = []
    for i, r in enumerate(radii):
        strokes.append(m(ellipse_points(c, r, r, 0.0, 200)))
        gap = r - (radii[i - 1] if i else 0.0)
        n = max(6, int(2 * np.pi * r / max(gap, 8.0) * rng.uniform(0.8, 1.4)))
        motif = rng.choice(["rose", "loop", "scallop", "spoke"])
        mr = max(3.0, 0.45 * gap)
        for j in range(n):
            a = 2 * np.pi * j / n
            p = c + (r - gap / 2) * np.array([np.cos(a), np.sin(a)])
            if motif == "rose":
                strokes.append(m(_rose(p, mr, int(rng.choice([3, 4, 5])), a)))
            elif motif == "loop":
                strokes.append(m(ellipse_points(p, mr * 0.8, mr * 0.5, a, 40)))
            elif motif == "spoke":
                inner = c + (r - gap) * np.array([np.cos(a), np.sin(a)])
                outer = c + r * np.array([np.cos(a), np.sin(a)])
                strokes.append(m(np.stack([inner, outer])))
            else:
                a1 = a + 2 * np.pi / n
                q1 = c + r * np.array([np.cos(a1), np.sin(a1)])
                q0 = c + r * np.array([np.cos(a), np.sin(a)])
                mid = c + (r + gap * 0.35) * np.array([np.cos(a + np.pi / n), np.sin(a + np.pi / n)])
                strokes.append(m(bezier(np.stack([q0, mid, q1]), 16)))
    cv.lines(strokes, w)
    # outer scallops close the doily like a real lace edge
    n = int(rng.integers(12, 40))
    for j in range(n):
        a0, a1 = 2 * np.pi * j / n, 2 * np.pi * (j + 1) / n
        q0 = c + radii[-1] * np.array([np.cos(a0), np.sin(a0)])
        q1 = c + radii[-1] * np.array([np.cos(a1), np.sin(a1)])
        mid = c + r_out * 1.08 * np.array([np.cos((a0 + a1) / 2), np.sin((a0 + a1) / 2)])
        cv.polyline(m(bezier(np.stack([q0, mid, q1]), 12)), w)


_FACES = ("sans", "italic", "uni")
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789&@"


def _glyph_block(rng: np.random.Generator, lines: list[str], px: int) -> np.ndarray:
    """uint8 mask of centred text lines rendered ``px`` pixels high (OpenCV 5 fonts)."""
    face = cv2.FontFace(str(rng.choice(_FACES)))
    weight = int(rng.choice([100, 200, 400]))
    rendered = []
    for line in lines:
        scratch = np.zeros((int(px * 1.6), int(px * 0.9 * len(line)) + px), np.uint8)
        cv2.putText(scratch, line, (px // 4, int(px * 1.2)), 255, face, px, weight)
        cols = np.flatnonzero(scratch.any(0))
        if cols.size:
            rendered.append(scratch[:, cols[0] : cols[-1] + 1])
    width = max(r.shape[1] for r in rendered)
    block = np.zeros((sum(r.shape[0] for r in rendered), width), np.uint8)
    y = 0
    for r in rendered:
        x = (width - r.shape[1]) // 2
        block[y : y + r.shape[0], x : x + r.shape[1]] = r
        y += r.shape[0]
    return block


def draw_text(rng: np.random.Generator, cv: Canvas, region: Region) -> None:
    """Lines of thin-stroked text (signs, wrought-iron or neon lettering), rotated and sheared.

    OpenCV 5's fonts draw strokes ~6 % of the glyph height even at the lightest weight, so
    glyphs are rendered large and then thinned with a distance transform to a 1–3 px
    stroke (or reduced to their outline); the distance also gives the antialiased edge.
    """
    cx, cy, rx, ry = region
    s = cv.scale
    n_lines = int(rng.integers(1, 5))
    lines = []
    for _ in range(n_lines):
        k = int(rng.integers(1, 4))
        lines.append(" ".join(
            "".join(rng.choice(list(_LETTERS), int(rng.integers(2, 8)))) for _ in range(k)
        ))
    block = _glyph_block(rng, lines, 48)
    fit = min(2 * rx * s / block.shape[1], 2 * ry * s / block.shape[0])
    bh, bw = max(1, int(block.shape[0] * fit)), max(1, int(block.shape[1] * fit))
    block = cv2.resize(block, (bw, bh), interpolation=cv2.INTER_AREA)
    inside = (block > 127).astype(np.uint8)
    dist = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    target = float(1.0 + 2.0 * rng.random() ** 2) * s  # stroke width at drawing scale
    mode = rng.random()
    if mode < 0.6:  # thin strokes: keep the core of each stroke
        stroke = 2.0 * float(np.percentile(dist[inside > 0], 95)) if inside.any() else 0.0
        r = max(0.0, (stroke - target) / 2.0)
        soft = np.clip(dist - r, 0.0, 1.0)  # 0 outside (dist = 0), ramps over 1 px
    elif mode < 0.85:  # outlined lettering: a band along the glyph edges, inside only
        soft = np.where(inside > 0, np.clip(target + 1.0 - dist, 0.0, 1.0), 0.0)
    else:  # solid lettering as rendered
        soft = block.astype(np.float32) / 255.0
    glyphs = (soft * 255.0 + 0.5).astype(np.uint8)
    x0 = int(round(cx * s - bw / 2))
    y0 = int(round(cy * s - bh / 2))
    h, w = cv.plane.shape
    ys, xs = slice(max(0, y0), min(h, y0 + bh)), slice(max(0, x0), min(w, x0 + bw))
    sub = glyphs[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0]
    np.maximum(cv.plane[ys, xs], sub, out=cv.plane[ys, xs])
    if rng.random() < 0.3:  # a thin frame around the sign
        cv.polyline(np.array([[cx - rx, cy - ry], [cx + rx, cy - ry], [cx + rx, cy + ry],
                              [cx - rx, cy + ry]]), target / s, closed=True)
    m = rotation(rng.normal(0, 0.3)) @ np.array([[1.0, rng.normal(0, 0.2)], [0.0, 1.0]])
    aff = np.zeros((2, 3))
    aff[:, :2] = m
    aff[:, 2] = np.array([cx, cy]) - m @ [cx, cy]
    cv.warp_affine(aff)


def draw_creature(rng: np.random.Generator, cv: Canvas, region: Region) -> None:
    """An insect or spider: solid body segments with long jointed legs and antennae."""
    cx, cy, rx, ry = region
    size = min(rx, ry)
    ang = rng.uniform(0, 2 * np.pi)
    axis = np.array([np.cos(ang), np.sin(ang)])
    side = np.array([-axis[1], axis[0]])
    c = np.array([cx, cy])
    spider = rng.random() < 0.4
    body = size * rng.uniform(0.12, 0.22)
    segs = [(c - axis * body * 1.4, body * 1.1), (c, body * 0.7)]
    if not spider:
        segs.append((c + axis * body * 1.2, body * 0.5))
    for p, r in segs:
        cv.ellipse(tuple(p), (r, r * rng.uniform(0.55, 0.8)), np.degrees(ang))
    n_legs = 4 if spider else 3
    reach = size * rng.uniform(0.6, 0.95)
    t0 = rng.uniform(1.5, 3.5)
    for s in (-1.0, 1.0):
        for i in range(n_legs):
            a = (i - (n_legs - 1) / 2) * rng.uniform(0.5, 0.8)
            d = rotation(s * a) @ side * s
            knee = c + d * reach * 0.45 + axis * rng.normal(0, 0.1) * reach - side * s * 0.0
            knee = knee + np.array([0.0, -reach * 0.15])
            foot = c + d * reach * rng.uniform(0.85, 1.1) + np.array([0.0, reach * 0.2])
            leg = bezier(np.stack([c + d * body * 0.5, knee, knee + (foot - knee) * 0.5, foot]), 12)
            cv.tapered(leg, t0, 1.0)
    if not spider:
        head = c + axis * body * 1.6
        for s in (-1.0, 1.0):
            tip = head + (axis * 1.0 + side * s * rng.uniform(0.3, 0.9)) * reach * 0.9
            mid = head + (axis * 0.7 + side * s * 0.2) * reach * 0.5
            cv.polyline(wobble(rng, bezier(np.stack([head, mid, tip]), 40), 1.0), 1.0)
        if rng.random() < 0.5:  # veined wings swept back from the thorax
            for s in (-1.0, 1.0):
                sweep = ang + s * (np.pi / 2 - rng.uniform(0.3, 0.7)) + np.pi
                d = np.array([np.cos(sweep), np.sin(sweep)])
                length = body * rng.uniform(2.0, 3.0)
                wing = ellipse_points(tuple(c + d * length), length, body * 0.7,
                                      sweep, 60)
                cv.polyline(wing, 1.2, closed=True)
                veins = [np.stack([c, wing[k]]) for k in range(0, 60, 12)]
                cv.lines(veins, 1.0)
