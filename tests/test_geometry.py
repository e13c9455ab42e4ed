"""The one rectangle type: its convention, its helpers, and that every room uses it."""

from __future__ import annotations

import numpy as np
import pytest

from dis_annotator import geometry
from dis_annotator.geometry import EMPTY, Box, Rect, bbox_of, union_of


def test_one_type_under_every_name():
    from dis_annotator.annotation import geometry as annotation_geometry
    from dis_annotator.engine import types

    assert Box is Rect and types.Box is Rect and annotation_geometry.Rect is Rect
    assert annotation_geometry.bbox_of is bbox_of and annotation_geometry.EMPTY_RECT == EMPTY


def test_x1_exclusive_convention():
    m = np.zeros((6, 8), bool)
    m[2:5, 3:7] = True  # rows 2..4, columns 3..6
    r = bbox_of(m)
    assert r == (3, 2, 7, 5) and all(type(v) is int for v in r)
    assert (r.width, r.height, r.area) == (4, 3, 12)
    assert m[r.slices].all() and m[r.slices].shape == (3, 4) and m.sum() == r.area
    assert Rect.from_mask(m) == Rect(3.0, 2.0, 7.0, 5.0)
    assert all(type(v) is float for v in Rect.from_mask(m))
    assert bbox_of(np.zeros((3, 3), bool)) is None and Rect.from_mask(np.zeros((3, 3))) is None
    assert r.contains_point(3, 2) and not r.contains_point(7, 2) and not r.contains_point(3, 5)


def test_float_boxes_clip_expand_and_cover_whole_pixels():
    b = Box(10.5, 4.2, 3.0, 20.7).clipped(12, 16)  # corners in any order
    assert b == (3.0, 4.2, 10.5, 16.0)
    assert b.int_bounds() == (3, 4, 11, 16)
    assert b.slices == (slice(4, 16), slice(3, 11))
    with pytest.raises(ValueError, match="empty or lies outside"):
        Box(20, 20, 30, 30).clipped(10, 10)
    assert Box(10, 10, 20, 30).expanded(0.5, 100, 100) == (5, 0, 25, 40)
    assert Box(5, 5, 1, 1).width == 0 and Box(5, 5, 1, 1).empty


def test_set_operations():
    a, b = Rect(0, 0, 4, 4), Rect(2, 3, 6, 8)
    assert a.union(b) == (0, 0, 6, 8) and a.union(EMPTY) == a and EMPTY.union(b) == b
    assert a.intersection(b) == (2, 3, 4, 4) and a.intersection(Rect(5, 5, 6, 6)) == EMPTY
    assert a.intersects(b) and not a.intersects(Rect(4, 0, 5, 4))  # touching edges: no overlap
    assert a.contains(Rect(1, 1, 4, 4)) and not a.contains(b)
    assert a.offset(2, -1) == (2, -1, 6, 3)
    assert union_of(None, a, None, b) == (0, 0, 6, 8) and union_of(None) is None
    assert {a: 1}[(0, 0, 4, 4)] == 1  # hashes like the plain tuple (cache keys)


def test_numpy_only():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(geometry.__file__).read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree)
                 if isinstance(n, ast.ImportFrom)}
    assert imported <= {"__future__", "math", "typing", "numpy"}


def test_overlay_layers_and_sam_regions_are_rects(qapp):
    from dis_annotator.engine.sam_backbone import CropPolicy
    from dis_annotator.engine.types import ImageData, Prompt
    from dis_annotator.ui.canvas.overlay import OverlayRenderer

    overlay = OverlayRenderer()
    m = np.zeros((50, 60), bool)
    m[10:20, 5:25] = True
    dirty = overlay.set_mask("a", m, (255, 0, 0))
    assert isinstance(dirty, Rect) and dirty == (5, 10, 25, 20)
    assert isinstance(overlay.bounds("a"), Rect)
    image = ImageData(np.zeros((2000, 3000, 3), np.uint8))
    region = CropPolicy(enabled=True).region(image, Prompt(box=Box(1000, 900, 1200, 1000)), 1024)
    assert isinstance(region, Rect) and region.contains(Rect(1000, 900, 1200, 1000))
