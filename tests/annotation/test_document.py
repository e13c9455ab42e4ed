from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from dis_annotator.annotation import PALETTE, AddObject, Document, History, SetMask, next_color

from .conftest import blob


def test_new_objects_get_distinct_colours_and_labels(doc: Document) -> None:
    h = History(doc)
    for _ in range(len(PALETTE) + 5):
        h.push(AddObject(doc.new_object()))
    colours = [o.color for o in doc.objects]
    assert len(set(colours)) == len(colours)
    assert len({o.label for o in doc.objects}) == len(doc.objects)
    assert len({o.id for o in doc.objects}) == len(doc.objects)
    for c in colours:  # neither near-black nor near-white: readable on dark and light
        assert 60 < sum(c) / 3 < 200
    assert next_color([]) == PALETTE[0]


def test_union_and_lookup(doc: Document) -> None:
    h = History(doc)
    a, b = doc.new_object(), doc.new_object()
    h.push(AddObject(a))
    h.push(AddObject(b))
    h.push(SetMask(a.id, blob(doc.shape, 10, 10, 5)))
    h.push(SetMask(b.id, blob(doc.shape, 40, 30, 6)))
    doc.get(b.id).visible = False
    assert np.array_equal(doc.union_mask(), doc.get(a.id).mask | doc.get(b.id).mask)
    assert np.array_equal(doc.union_mask(visible_only=True), doc.get(a.id).mask)
    assert doc.index_of(b.id) == 1 and doc.find("nope") is None


def test_snapshot_is_independent(doc: Document) -> None:
    h = History(doc)
    a = doc.new_object()
    h.push(AddObject(a))
    snap = doc.snapshot()
    h.push(SetMask(a.id, blob(doc.shape, 10, 10, 5)))
    assert not snap.get(a.id).mask.any() and doc.get(a.id).mask.any()


def test_annotation_never_imports_qt() -> None:
    root = Path(__file__).resolve().parents[2]
    code = "import sys, dis_annotator.annotation; assert 'PySide6' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
