from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dis_annotator.annotation import AddObject, Document, History, PaintMask, stroke_mask


def reference_stroke(shape, points, radius) -> np.ndarray:
    """Pixel-by-pixel definition from brush.py's docstring (slow, obviously right)."""
    h, w = shape
    out = np.zeros(shape, bool)
    segs = list(zip(points[:-1], points[1:], strict=True)) or [(points[0], points[0])]
    for r in range(h):
        for c in range(w):
            px, py = c + 0.5, r + 0.5
            for (ax, ay), (bx, by) in segs:
                dx, dy = bx - ax, by - ay
                l2 = dx * dx + dy * dy
                t = 0.0 if l2 == 0 else min(1.0, max(0.0, ((px - ax) * dx + (py - ay) * dy) / l2))
                # the same float operations as brush.py, so boundary pixels agree exactly
                ex, ey = px - (ax + t * dx), py - (ay + t * dy)
                if ex * ex + ey * ey <= radius * radius:
                    out[r, c] = True
                    break
    for x, y in points:
        c, r = math.floor(x), math.floor(y)
        if 0 <= c < w and 0 <= r < h:
            out[r, c] = True
    return out


def place(shape, rect, window) -> np.ndarray:
    full = np.zeros(shape, bool)
    full[rect.slices] = window
    return full


coords = st.tuples(st.floats(-5, 30, allow_nan=False), st.floats(-5, 22, allow_nan=False))


@settings(max_examples=25, deadline=None)
@given(st.lists(coords, min_size=1, max_size=4), st.floats(0, 6))
@example([(6.25, 6.25), (0.0, 0.0)], 0.0)  # passes exactly through pixel centres
def test_stroke_matches_reference(points, radius) -> None:
    shape = (18, 25)
    rect, window = stroke_mask(shape, points, radius)
    assert window.shape == (rect.height, rect.width)
    assert np.array_equal(place(shape, rect, window), reference_stroke(shape, points, radius))
    if window.size:  # the bbox is tight
        assert window[0].any() and window[-1].any() and window[:, 0].any() and window[:, -1].any()


def test_round_brush_shape_and_outside() -> None:
    rect, window = stroke_mask((100, 100), [(50.5, 50.5)], 3)
    assert rect == (47, 47, 54, 54) and window.sum() == 29  # disc of radius 3 on the grid
    assert stroke_mask((10, 10), [(50, 50)], 2)[1].size == 0  # misses the image


@settings(max_examples=30, deadline=None)
@given(
    st.lists(coords, min_size=1, max_size=3),
    st.floats(0.5, 5),
    st.booleans(),
    st.integers(0, 2**31),
)
def test_paint_changes_exactly_the_stroked_pixels(points, radius, value, seed) -> None:
    doc = Document("x.png", 25, 18)
    rec = doc.new_object(mask=np.random.default_rng(seed).random(doc.shape) < 0.5)
    h = History(doc)
    h.push(AddObject(rec))
    before = doc.get(rec.id).mask.copy()
    region = stroke_mask(doc.shape, points, radius)
    h.push(PaintMask(rec.id, region, value))
    after = doc.get(rec.id).mask
    stroked = place(doc.shape, *region)
    assert np.all(after[stroked] == value)
    assert np.array_equal(after[~stroked], before[~stroked])
    if h.count == 2:  # a stroke that changes nothing is obsolete and not kept
        h.undo()
    else:
        assert np.array_equal(after, before)
    assert np.array_equal(doc.get(rec.id).mask, before)


def test_paint_with_full_size_region_and_out_of_image_window() -> None:
    doc = Document("x.png", 20, 10)
    rec = doc.new_object()
    h = History(doc)
    h.push(AddObject(rec))
    region = np.zeros(doc.shape, bool)
    region[2:5, 3:9] = True
    h.push(PaintMask(rec.id, region, True))
    assert np.array_equal(doc.get(rec.id).mask, region)
    # a window partly outside the image is clipped, not rejected
    h.push(PaintMask(rec.id, ((-2, -2, 3, 3), np.ones((5, 5), bool)), True))
    assert doc.get(rec.id).mask[:3, :3].all() and doc.get(rec.id).area == 18 + 9
