from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dis_annotator.annotation import (
    AddObject,
    Compactor,
    DeleteObject,
    Document,
    History,
    MaskPatch,
    PackedBits,
    PaintMask,
    SetMask,
    bbox_of,
    changed_rect,
    stroke_mask,
)

from .conftest import blob


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40), st.integers(1, 70), st.integers(0, 2**31), st.integers(0, 5))
def test_changed_rect_equals_bbox_of_difference(h, w, seed, flips) -> None:
    rng = np.random.default_rng(seed)
    a = rng.random((h, w)) < 0.5
    b = a.copy()
    for _ in range(flips):
        b[rng.integers(0, h), rng.integers(0, w)] ^= True
    assert changed_rect(a, b) == bbox_of(a != b)
    # non-contiguous inputs (windows of a bigger mask) too
    big = np.zeros((h + 3, w + 5), bool)
    big[1 : 1 + h, 2 : 2 + w] = a
    assert changed_rect(big[1 : 1 + h, 2 : 2 + w], b) == bbox_of(a != b)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.integers(0, 2**31), st.booleans())
def test_packed_bits_round_trip(h, w, seed, compress) -> None:
    a = np.random.default_rng(seed).random((h, w)) < 0.3
    p = PackedBits.pack(a, compress)
    assert np.array_equal(p.unpack(), a)
    assert np.array_equal(p.compressed().unpack(), a)


def test_patch_apply_is_idempotent() -> None:
    old = blob((30, 40), 10, 10, 6)
    new = blob((30, 40), 14, 12, 7)
    p = MaskPatch.between(old, new)
    m = old.copy()
    p.apply_new(m)
    p.apply_new(m)
    assert np.array_equal(m, new)
    p.apply_old(m)
    p.apply_old(m)
    assert np.array_equal(m, old)


def test_deferred_compression_with_compactor(image_file) -> None:
    doc = Document(image_file, 900, 700)
    h = History(doc)
    r = doc.new_object()
    h.push(AddObject(r, compress=False))
    rng = np.random.default_rng(3)
    cmds = []
    states = [doc.get(r.id).mask.copy()]
    for i in range(4):
        m = blob(doc.shape, 200 + 80 * i, 300, 150) ^ (rng.random(doc.shape) < 0.01)
        c = SetMask(r.id, m, compress=False)
        h.push(c)
        cmds.append(c)
        states.append(doc.get(r.id).mask.copy())
    c = PaintMask(r.id, stroke_mask(doc.shape, [(10, 10), (800, 600)], 20), True, compress=False)
    h.push(c)
    cmds.append(c)
    states.append(doc.get(r.id).mask.copy())
    raw = h.nbytes
    compactor = Compactor()
    for c in cmds:
        compactor.submit(c)
    # undo/redo while the compactor works: either blob version is valid
    for _ in range(3):
        h.undo()
        h.redo()
    compactor.flush()
    compactor.close()
    assert compactor.saved_bytes > 0 and h.nbytes == raw - compactor.saved_bytes
    assert all(c.compact() == 0 for c in cmds)  # nothing left to compress
    for i in range(len(states) - 1, 0, -1):
        assert np.array_equal(doc.get(r.id).mask, states[i])
        h.undo()
    assert np.array_equal(doc.get(r.id).mask, states[0])
    h.redo()
    h.push(DeleteObject(r.id, compress=False))
    assert h.commands[-1].compact() >= 0
    h.undo()
    assert np.array_equal(doc.get(r.id).mask, states[1])


def test_masks_are_read_only_and_setmask_refuses_the_live_mask(doc) -> None:
    h = History(doc)
    r = doc.new_object()
    h.push(AddObject(r))
    live = doc.get(r.id).mask
    with pytest.raises(ValueError, match="read-only"):
        live[0, 0] = True  # masks change only through commands (undoable)
    token = doc.get(r.id).mask_token
    with doc.editing_mask(r.id) as m:
        m[0, 0] = True
    assert doc.get(r.id).mask_token != token and not live.flags.writeable
    with pytest.raises(ValueError, match="live mask"):
        h.push(SetMask(r.id, live))
