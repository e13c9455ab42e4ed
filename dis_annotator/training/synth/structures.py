"""Man-made thin structures: wires and cables, spoked wheels, nets and fences, lattices.

Each ``draw_*`` takes a generator, a :class:`Canvas` and a :data:`Region` and draws one
object's coverage. Thickness is in output pixels; most strokes are 1–3 px, the regime
where SAM's 256² mask resolution loses them.
"""

from __future__ import annotations

import numpy as np

from dis_annotator.training.synth.canvas import Canvas
from dis_annotator.training.synth.geometry import Region, bezier, ellipse_points, rotation, wobble


def _thin(rng: np.random.Generator, lo: float = 1.0, hi: float = 3.0) -> float:
    """Stroke widths skewed towards the thin end (most DIS detail is 1–2 px)."""
    return float(lo + (hi - lo) * rng.random() ** 2)


def draw_wires(rng: np.random.Generator, cv: Canvas, region: Region) -> None:
    """Hanging cables between poles, or free cable curves (headphones, cords)."""
    cx, cy, rx, ry = region
    if rng.random() < 0.55:
        x_l, x_r = cx - rx, cx + rx
        top = cy - ry
        n = int(rng.integers(2, 7))
        gap = rng.uniform(0.05, 0.25) * ry
        sag = rng.uniform(0.05, 0.5) * ry
        tilt = rng.normal(0.0, 0.15) * ry
        t = np.linspace(0.0, 1.0, 80)
        for k in range(n):
            y_l = top + k * gap + rng.normal(0, 2)
            y_r = y_l + tilt + rng.normal(0, 2)
            s = sag * rng.uniform(0.85, 1.15)
            pts = np.stack([x_l + (x_r - x_l) * t, y_l + (y_r - y_l) * t + 4 * s * t * (1 - t)], 1)
            cv.polyline(pts, _thin(rng, 1.0, 2.6))
        if rng.random() < 0.7:  # poles with cross-arms hold the cables up
            for x, y0 in ((x_l, top), (x_r, top + tilt)):
                w = rng.uniform(3.0, 9.0)
                cv.polyline(np.array([[x, y0 - 0.1 * ry], [x, cy + ry]]), w)
                arm = rng.uniform(0.05, 0.12) * rx
                cv.polyline(np.array([[x - arm, y0], [x + arm, y0]]), max(1.5, w / 2))
    else:
        n = int(rng.integers(1, 5))
        for _ in range(n):
            k = int(rng.integers(4, 8))
            ctrl = np.stack(
                [cx + rng.uniform(-rx, rx, k), cy + rng.uniform(-ry, ry, k)], 1
            )
            pts = bezier(ctrl, 200)
            cv.polyline(wobble(rng, pts, 2.0), _thin(rng, 1.0, 4.0))


def _wheel(rng: np.random.Generator, cv: Canvas, c: np.ndarray, r: float, q: float, ang: float) -> None:
    def f(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.stack([u * r, v * r * q], -1) @ rotation(ang).T + c

    tyre = max(2.0, rng.uniform(0.03, 0.08) * r)
    cv.polyline(ellipse_points(c, r, r * q, ang, 160), tyre, closed=True)
    rim_r = 1.0 - tyre / r
    cv.polyline(ellipse_points(c, r * rim_r, r * rim_r * q, ang, 160), _thin(rng, 1.0, 3.0), closed=True)
    hub = rng.uniform(0.04, 0.08)
    cv.polyline(ellipse_points(c, r * hub, r * hub * q, ang, 32), max(2.0, hub * r * 0.6), closed=True)
    n = int(rng.choice([16, 20, 24, 28, 32, 36]))
    cross = rng.uniform(0.0, 0.5)
    a = np.linspace(0.0, 2 * np.pi, n, endpoint=False) + rng.uniform(0, np.pi)
    side = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    inner = f(hub * np.cos(a), hub * np.sin(a))
    outer = f(rim_r * np.cos(a + side * cross), rim_r * np.sin(a + side * cross))
    w = _thin(rng, 1.0, 1.8)
    cv.lines([np.stack([p, o]) for p, o in zip(inner, outer, strict=True)], w)


def draw_wheel(rng: np.random.Generator, cv: Canvas, region: Region) -> None:
    """A spoked wheel seen at an angle, or a whole bicycle (two wheels plus frame)."""
    cx, cy, rx, ry = region
    q = rng.uniform(0.55, 1.0)
    ang = rng.normal(0.0, 0.3)
    if rng.random() < 0.5:
        r = min(rx * 0.48, ry / max(q, 0.6))
        d = rx - r
        c1, c2 = np.array([cx - d, cy + 0.2 * ry]), np.array([cx + d, cy + 0.2 * ry])
        _wheel(rng, cv, c1, r, q, 0.0)
        _wheel(rng, cv, c2, r, q, 0.0)
        # diamond frame: rear hub, bottom bracket, seat, head tube, front hub
        bb = (c1 + c2) / 2 + np.array([-0.1 * d, 0.1 * r])
        seat = c1 + np.array([0.55 * d, -0.95 * r])
        head = c2 + np.array([-0.3 * d, -0.9 * r])
        tube = rng.uniform(2.5, 6.0)
        frame = [(c1, bb), (bb, seat), (seat, c1), (seat, head), (head, bb), (head, c2)]
        cv.lines([np.stack(s) for s in frame], tube)
        cv.polyline(np.stack([seat, seat + [0.0, -0.2 * r]]), tube)
        cv.polyline(np.stack([seat + [-0.15 * r, -0.22 * r], seat + [0.15 * r, -0.2 * r]]), tube * 1.5)
        bar = head + [0.0, -0.25 * r]
        cv.polyline(np.stack([head, bar, bar + [0.25 * r, -0.05 * r]]), tube * 0.8)
    else:
        r = min(rx, ry / q)
        _wheel(rng, cv, np.array([cx, cy]), r, q, ang)


def _warp(rng: np.random.Generator, region: Region):
    """A random mild perspective + sag map from (u, v) ∈ [−1, 1]² to image points."""
    cx, cy, rx, ry = region
    g, h = rng.normal(0.0, 0.15, 2)
    ang = rng.normal(0.0, 0.25)
    sag = rng.uniform(0.0, 0.15) if rng.random() < 0.5 else 0.0
    rot = rotation(ang)

    def f(uv: np.ndarray) -> np.ndarray:
        u, v = uv[..., 0], uv[..., 1]
        den = 1.0 + g * u + h * v
        x, y = u / den, v / den + sag * (1 - u**2)
        return np.stack([x * rx, y * ry], -1) @ rot.T + [cx, cy]

    return f


def draw_net(rng: np.random.Generator, cv: Canvas, region: Region) -> None:
    """A net or fence: square or diamond mesh, perspective-warped, clipped to a frame."""
    cx, cy, rx, ry = region
    f = _warp(rng, region)
    cells = int(rng.integers(6, 30))
    diamond = rng.random() < 0.45
    w = _thin(rng, 1.0, 2.5)
    t = np.linspace(-1.6, 1.6, 90)
    segs = []
    for k in np.linspace(-1.6, 1.6, int(cells * 1.6)):
        if diamond:
            a = np.stack([t, t - 2 * k * 0.5], 1)
            b = np.stack([t, -t + 2 * k * 0.5], 1)
            segs += [a, b]
        else:
            segs += [np.stack([np.full_like(t, k), t], 1), np.stack([t, np.full_like(t, k)], 1)]
    cv.lines([f(s) for s in segs], w)
    # clip the mesh to its frame: a rectangle, an ellipse (racket, hoop) or a polygon
    shape = rng.choice(["rect", "ellipse", "poly"])
    if shape == "rect":
        border = f(np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float))
        border = np.concatenate([
            np.linspace(border[i], border[(i + 1) % 4], 20) for i in range(4)
        ])
    elif shape == "ellipse":
        border = ellipse_points((cx, cy), rx, ry, rng.normal(0, 0.3), 120)
    else:
        a = np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(5, 9))))
        rad = rng.uniform(0.6, 1.0, len(a))
        border = np.stack([cx + rx * rad * np.cos(a), cy + ry * rad * np.sin(a)], 1)
    keep = cv.blank_like()
    keep.fill_poly([border])
    cv.erase_outside(keep.plane)
    if rng.random() < 0.75:
        cv.polyline(border, rng.uniform(1.5, 7.0), closed=True)
        if shape == "ellipse" and rng.random() < 0.5:  # a racket / hoop handle
            p = border[int(rng.integers(len(border)))]
            cv.polyline(np.stack([p, p + (p - [cx, cy]) * 0.6]), rng.uniform(4, 9))


def draw_lattice(rng: np.random.Generator, cv: Canvas, region: Region) -> None:
    """Trusses (towers, cranes, bridges), honeycomb meshes or window grilles."""
    cx, cy, rx, ry = region
    style = rng.choice(["truss", "honeycomb", "grille"])
    if style == "truss":
        n_trusses = int(rng.integers(1, 3))
        vertical = rng.random() < 0.5
        for _ in range(n_trusses):
            vertical = not vertical  # a second truss crosses the first (crane jib)
            length = 2 * (ry if vertical else rx) * rng.uniform(0.8, 1.0)
            width0 = rng.uniform(0.08, 0.3) * (rx if vertical else ry)
            width1 = width0 * rng.uniform(0.3, 1.0)
            panels = int(rng.integers(5, 18))
            s = np.linspace(-0.5, 0.5, panels + 1) * length
            half = np.linspace(width0, width1, panels + 1) / 2
            ax = rotation((0.5 * np.pi if vertical else 0.0) + rng.normal(0, 0.15))
            c = np.array([cx, cy]) + rng.normal(0, 0.1, 2) * [rx, ry]

            def p(a: np.ndarray, b: np.ndarray, ax=ax, c=c) -> np.ndarray:
                return np.stack([a, b], -1) @ ax.T + c

            top, bot = p(s, -half), p(s, half)
            chord = rng.uniform(2.0, 5.0)
            cv.lines([top, bot], chord)
            members = []
            x_brace = rng.random() < 0.5
            for k in range(panels):
                members.append(np.stack([top[k], bot[k]]))
                members.append(np.stack([top[k], bot[k + 1]]))
                if x_brace:
                    members.append(np.stack([bot[k], top[k + 1]]))
            members.append(np.stack([top[-1], bot[-1]]))
            cv.lines(members, _thin(rng, 1.0, 2.5))
    elif style == "honeycomb":
        a = rng.uniform(6.0, 20.0)
        ang = rng.uniform(0, np.pi)
        hexagon = np.stack(
            [np.cos(np.arange(7) * np.pi / 3 + ang), np.sin(np.arange(7) * np.pi / 3 + ang)], 1
        ) * a
        rot = rotation(ang)
        polys = []
        n = int(max(rx, ry) / a) + 2
        for i in range(-n, n + 1):
            for j in range(-n, n + 1):
                off = (np.array([1.5 * a * i, np.sqrt(3) * a * (j + 0.5 * (i % 2))]) @ rot.T)
                if abs(off[0]) <= rx * 1.05 and abs(off[1]) <= ry * 1.05:
                    polys.append(hexagon + off + [cx, cy])
        cv.lines(polys, _thin(rng, 1.0, 2.5))
        keep = cv.blank_like()
        border = ellipse_points((cx, cy), rx, ry, 0.0, 100)
        keep.fill_poly([border])
        cv.erase_outside(keep.plane)
        cv.polyline(border, rng.uniform(1.5, 5.0), closed=True)
    else:
        frame = np.array([[cx - rx, cy - ry], [cx + rx, cy - ry], [cx + rx, cy + ry], [cx - rx, cy + ry]])
        cv.polyline(frame, rng.uniform(3.0, 8.0), closed=True)
        bars = int(rng.integers(3, 10))
        xs = np.linspace(cx - rx, cx + rx, bars + 2)[1:-1]
        w = _thin(rng, 1.5, 3.5)
        cv.lines([np.array([[x, cy - ry], [x, cy + ry]]) for x in xs], w)
        rails = int(rng.integers(1, 4))
        ys = np.linspace(cy - ry, cy + ry, rails + 2)[1:-1]
        cv.lines([np.array([[cx - rx, y], [cx + rx, y]]) for y in ys], w)
        # ornaments between bars: rings, diamonds, X braces or S scrolls (or none)
        gap = (xs[1] - xs[0]) if len(xs) > 1 else rx
        cell_h = (2 * ry) / (rails + 1)
        motif = rng.choice(["ring", "diamond", "cross", "scroll", "none"])
        ring = []
        for x in np.concatenate([[cx - rx], xs]):
            for y in np.concatenate([[cy - ry], ys]):
                c = np.array([x + gap / 2, y + cell_h / 2])
                hw, hh = gap / 2 * rng.uniform(0.5, 0.95), cell_h / 2 * rng.uniform(0.5, 0.95)
                if motif == "ring":
                    rr = min(hw, hh)
                    ring.append(ellipse_points(tuple(c), rr, rr, 0.0, 40))
                elif motif == "diamond":
                    ring.append(c + np.array([[0, -hh], [hw, 0], [0, hh], [-hw, 0], [0, -hh]]))
                elif motif == "cross":
                    ring += [c + np.array([[-hw, -hh], [hw, hh]]), c + np.array([[-hw, hh], [hw, -hh]])]
                elif motif == "scroll":
                    ring.append(bezier(c + np.array([[-hw, hh], [-hw, -hh * 2], [hw, hh * 2],
                                                     [hw, -hh]]), 30))
        cv.lines(ring, _thin(rng, 1.0, 2.0))
