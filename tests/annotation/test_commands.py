from __future__ import annotations

import numpy as np
import pytest

from dis_annotator.annotation import (
    AddObject,
    Change,
    DeleteObject,
    Document,
    History,
    MoveObject,
    PaintMask,
    RenameObject,
    SetMask,
    SetObjectColor,
    SetObjectVisible,
    bbox_of,
    stroke_mask,
)
from dis_annotator.engine.types import Box, MaskOutput, Point, Prompt

from .conftest import blob


def state(doc: Document) -> list[tuple]:
    """Everything persistent about a document, masks as bytes (bit-exact comparison)."""
    return [
        (o.id, o.label, o.color, o.visible, o.prompt, repr(o.provenance), o.mask.tobytes())
        for o in doc.objects
    ]


def test_every_command_undo_redo_restores_exact_state(doc: Document) -> None:
    h = History(doc)
    a = doc.new_object(prompt=Prompt(box=Box(2, 3, 40, 30)))
    b = doc.new_object(label="cat")
    cmds = [
        AddObject(a),
        SetMask(a.id, blob(doc.shape, 20, 15, 9), prompt=Prompt(box=Box(2, 3, 40, 30)),
                provenance={"stages": [{"name": "grabcut"}]}),
        SetMask(a.id, blob(doc.shape, 22, 16, 10),
                prompt=Prompt(box=Box(2, 3, 40, 30), points=(Point(5.5, 6.0, False),))),
        PaintMask(a.id, stroke_mask(doc.shape, [(30, 30), (50, 40)], 2.5), True),
        PaintMask(a.id, stroke_mask(doc.shape, [(18, 10)], 4), False),
        AddObject(b),
        PaintMask(b.id, blob(doc.shape, 50, 10, 6), True),
        RenameObject(a.id, "dog"),
        SetObjectVisible(b.id, False),
        SetObjectColor(a.id, (1, 2, 3)),
        MoveObject(b.id, 0),
        DeleteObject(a.id),
    ]
    states = [state(doc)]
    for c in cmds:
        h.push(c)
        states.append(state(doc))
    assert h.count == len(cmds)
    for i in range(len(cmds), 0, -1):
        assert h.undo()
        assert state(doc) == states[i - 1], f"undo of {cmds[i - 1].text}"
    assert not h.undo()
    for i in range(1, len(cmds) + 1):
        assert h.redo()
        assert state(doc) == states[i], f"redo of {cmds[i - 1].text}"
    # and once more backwards: commands must survive repeated cycles
    while h.undo():
        pass
    assert state(doc) == states[0]


def test_delete_restores_same_index_and_pixels(doc: Document) -> None:
    h = History(doc)
    recs = [doc.new_object() for _ in range(3)]
    for i, r in enumerate(recs):
        h.push(AddObject(r))
        h.push(SetMask(r.id, blob(doc.shape, 10 + 15 * i, 20, 7)))
    before = state(doc)
    h.push(DeleteObject(recs[1].id))
    assert doc.ids() == [recs[0].id, recs[2].id]
    h.undo()
    assert doc.index_of(recs[1].id) == 1
    assert state(doc) == before


def test_mask_commands_store_only_changed_region(image_file) -> None:
    doc = Document(image_file, 4000, 3000)
    h = History(doc)
    r = doc.new_object()
    h.push(AddObject(r))
    small = np.zeros(doc.shape, bool)
    small[100:120, 200:230] = True
    big = np.zeros(doc.shape, bool)
    big[500:2500, 400:3400] = blob((2000, 3000), 1500, 1000, 900)
    cs = SetMask(r.id, small)
    h.push(cs)
    cb = SetMask(r.id, big)
    h.push(cb)
    # the full-size input is dropped after the first redo
    assert cs.nbytes < 1_000
    assert cb.patches[0].rect == bbox_of(small | big)
    assert cb.nbytes < doc.width * doc.height / 8 / 10  # far below even 1 bit/pixel
    stroke = stroke_mask(doc.shape, [(10, 10), (60, 20)], 3)
    cp = PaintMask(r.id, stroke, True)
    h.push(cp)
    assert cp.rect == stroke[0]
    assert cp.nbytes < 1_000
    # a bigger stroke over the same kind of content costs more: proportional to region
    cp2 = PaintMask(r.id, stroke_mask(doc.shape, [(10, 2800), (3900, 2900)], 40), True)
    h.push(cp2)
    assert cp2.nbytes > cp.nbytes


def test_noop_commands_are_obsolete_and_not_kept(doc: Document) -> None:
    h = History(doc)
    r = doc.new_object()
    h.push(AddObject(r))
    h.push(SetMask(r.id, doc.empty_mask()))
    h.push(RenameObject(r.id, r.label))
    assert h.count == 1
    # Erasing empty pixels changes no pixel but locks them as background (edit layers,
    # docs/adr/0130): a step. The same stroke again changes nothing at all.
    h.push(PaintMask(r.id, stroke_mask(doc.shape, [(5, 5)], 2), False))
    assert h.count == 2 and not doc.get(r.id).mask.any()
    h.push(PaintMask(r.id, stroke_mask(doc.shape, [(5, 5)], 2), False))
    assert h.count == 2
    rev = doc.revision
    assert rev > 0


def test_brush_drag_merges_into_one_step(doc: Document) -> None:
    h = History(doc)
    r = doc.new_object()
    h.push(AddObject(r))
    before = doc.get(r.id).mask.copy()
    pts = [(5, 5), (15, 8), (25, 12), (35, 20)]
    for p0, p1 in zip(pts[:-1], pts[1:], strict=True):
        h.push(PaintMask(r.id, stroke_mask(doc.shape, [p0, p1], 2), True, merge_key="drag-1"))
    after = doc.get(r.id).mask.copy()
    assert h.count == 2
    _, window = stroke_mask(doc.shape, pts, 2)
    assert doc.get(r.id).area == np.count_nonzero(window)
    h.undo()
    assert np.array_equal(doc.get(r.id).mask, before)
    h.redo()
    assert np.array_equal(doc.get(r.id).mask, after)
    # another drag does not merge with the first
    h.push(PaintMask(r.id, stroke_mask(doc.shape, [(50, 40)], 2), True, merge_key="drag-2"))
    assert h.count == 3


def test_setmask_merge_coarse_then_refined(doc: Document) -> None:
    h = History(doc)
    r = doc.new_object()
    h.push(AddObject(r))
    p = Prompt(box=Box(5, 5, 40, 40))
    h.push(SetMask(r.id, blob(doc.shape, 20, 20, 10), prompt=p, merge_key="gen-1"))
    h.push(SetMask(r.id, blob(doc.shape, 21, 20, 11), provenance={"refined": True}, merge_key="gen-1"))
    assert h.count == 2
    h.undo()
    assert not doc.get(r.id).mask.any() and doc.get(r.id).prompt == Prompt()
    assert doc.get(r.id).provenance == {}
    h.redo()
    assert np.array_equal(doc.get(r.id).mask, blob(doc.shape, 21, 20, 11))
    assert doc.get(r.id).prompt == p and doc.get(r.id).provenance == {"refined": True}


def test_no_merge_across_clean_state(doc: Document) -> None:
    h = History(doc)
    r = doc.new_object()
    h.push(AddObject(r))
    h.push(PaintMask(r.id, stroke_mask(doc.shape, [(5, 5)], 2), True, merge_key="k"))
    h.set_clean()
    h.push(PaintMask(r.id, stroke_mask(doc.shape, [(30, 30)], 2), True, merge_key="k"))
    assert h.count == 3 and not h.is_clean()
    h.undo()
    assert h.is_clean()


def test_push_after_undo_drops_redo_tail(doc: Document) -> None:
    h = History(doc)
    r = doc.new_object()
    h.push(AddObject(r))
    h.push(RenameObject(r.id, "a"))
    h.undo()
    assert h.can_redo() and h.redo_text == "Rename to a"
    h.push(RenameObject(r.id, "b"))
    assert not h.can_redo() and h.count == 2 and doc.get(r.id).label == "b"


def test_max_bytes_drops_oldest(doc: Document) -> None:
    h = History(doc, max_bytes=3_000)
    r = doc.new_object()
    h.push(AddObject(r))
    for i in range(30):
        h.push(PaintMask(r.id, stroke_mask(doc.shape, [(i * 2, 5), (i * 2, 40)], 1), True))
    assert h.nbytes <= 3_000 and 0 < h.count < 31
    while h.undo():
        pass
    assert doc.find(r.id) is not None  # the AddObject fell off the history, the object stays


def test_stage_output_alias_and_reset(doc: Document) -> None:
    h = History(doc)
    r = doc.new_object()
    h.push(AddObject(r))
    out = MaskOutput(mask=blob(doc.shape, 20, 20, 8), state={"logits": np.ones((1, 4, 4))})
    h.push(SetMask(r.id, out.mask, stage_output=out))
    obj = doc.get(r.id)
    assert obj.stage_output is not None and obj.stage_output.mask is obj.mask
    h.push(PaintMask(r.id, stroke_mask(doc.shape, [(40, 40)], 3), True))
    prev = doc.previous_output(r.id)
    assert prev is not None and np.array_equal(prev.mask, obj.mask) and "logits" in prev.state
    assert prev.mask is not obj.mask and doc.previous_output(r.id, copy_mask=False).mask is obj.mask
    h.undo()
    h.undo()
    assert doc.get(r.id).stage_output is None and doc.previous_output(r.id) is None
    h.redo()
    prev = doc.previous_output(r.id)
    assert prev is not None and prev.state == {} and prev.mask.any()


def test_listeners_and_revision(doc: Document) -> None:
    seen: list[Change] = []
    doc.subscribe(seen.append)
    h = History(doc)
    r = doc.new_object()
    h.push(AddObject(r))
    stroke = stroke_mask(doc.shape, [(10, 10)], 3)
    h.push(PaintMask(r.id, stroke, True))
    assert [c.kind for c in seen] == ["objects", "mask"]
    assert seen[1].rect == stroke[0]
    assert doc.dirty and doc.revision == 2
    doc.mark_saved()
    assert not doc.dirty
    h.undo()
    assert doc.dirty


def test_wrong_mask_size_rejected(doc: Document) -> None:
    r = doc.new_object()
    History(doc).push(AddObject(r))
    with pytest.raises(ValueError, match="64x48"):
        SetMask(r.id, np.zeros((10, 10), bool)).redo(doc)


@pytest.mark.parametrize("side", [40, 80, 160])
def test_memory_is_proportional_to_changed_area_not_image(image_file, side: int) -> None:
    # Incompressible (random) new pixels: held bytes ~ 1 bit per changed pixel,
    # whatever the image size.
    rng = np.random.default_rng(side)
    for w, h in ((400, 300), (4000, 3000)):
        doc = Document(image_file, w, h)
        r = doc.new_object()
        hist = History(doc)
        hist.push(AddObject(r))
        new = np.zeros(doc.shape, bool)
        new[10 : 10 + side, 20 : 20 + side] = rng.random((side, side)) < 0.5
        new[10, 20] = new[9 + side, 19 + side] = True  # pin the bbox
        c = SetMask(r.id, new)
        hist.push(c)
        bits = side * side / 8  # the old side is all zeros and compresses to ~nothing
        assert bits * 0.9 < c.nbytes < bits * 1.1 + 600, (w, side, c.nbytes)
