"""Random sessions: after any mix of edits, undos and redos, every history position shows
exactly the document it showed before (masks bit-identical)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dis_annotator.annotation import (
    AddObject,
    ClearEdits,
    DeleteObject,
    Document,
    History,
    MoveObject,
    PaintMask,
    RenameObject,
    SetMask,
    SetObjectVisible,
    stroke_mask,
)
from dis_annotator.engine.types import Point, Prompt

SHAPE = (24, 32)

ops = st.lists(
    st.tuples(
        st.sampled_from(
            ["add", "delete", "rename", "visible", "setmask", "brush", "erase", "drag",
             "clear", "move", "undo", "undo", "redo"]
        ),
        st.integers(0, 2**31),
    ),
    min_size=1,
    max_size=25,
)


def state(doc: Document) -> list[tuple]:
    return [
        (o.id, o.label, o.visible, o.prompt, o.mask.tobytes(), tuple(o.edits.rect), o.edits.codes.tobytes())
        for o in doc.objects
    ]


def make_command(doc: Document, kind: str, seed: int):
    """A random command of ``kind``; pixel-holding ones are created raw (``compress=False``,
    as the app does) half of the time, so compaction runs on them where a test compacts."""
    rng = np.random.default_rng(seed)
    ids = doc.ids()
    raw = {"compress": bool(rng.integers(0, 2))}
    if kind == "add" or not ids:
        mask = rng.random(SHAPE) < 0.2 if rng.random() < 0.5 else None
        return AddObject(doc.new_object(mask=mask), index=int(rng.integers(0, len(ids) + 1)), **raw)
    obj_id = ids[int(rng.integers(0, len(ids)))]
    if kind == "delete":
        return DeleteObject(obj_id, **raw)
    if kind == "rename":
        return RenameObject(obj_id, f"n{int(rng.integers(0, 3))}")
    if kind == "visible":
        return SetObjectVisible(obj_id, bool(rng.integers(0, 2)))
    if kind == "move":
        return MoveObject(obj_id, int(rng.integers(0, len(ids))))
    if kind == "clear":
        return ClearEdits(obj_id, **raw)
    if kind == "setmask":
        m = np.zeros(SHAPE, bool)
        y, x = int(rng.integers(0, 20)), int(rng.integers(0, 28))
        m[y : y + int(rng.integers(1, 10)), x : x + int(rng.integers(1, 10))] = True
        prompt = Prompt(points=(Point(float(x) + 0.5, float(y) + 0.5, bool(rng.integers(0, 2))),))
        key = str(int(rng.integers(0, 2))) if rng.random() < 0.5 else None
        return SetMask(obj_id, m, prompt=prompt, merge_key=key, **raw)
    pts = [(float(rng.uniform(-2, 34)), float(rng.uniform(-2, 26))) for _ in range(int(rng.integers(1, 4)))]
    region = stroke_mask(SHAPE, pts, float(rng.uniform(0.3, 4)))
    key = "drag" if kind == "drag" else None
    return PaintMask(obj_id, region, kind != "erase", merge_key=key, **raw)


@settings(max_examples=40, deadline=None)
@given(ops)
def test_random_session_every_position_is_exact(session) -> None:
    doc = Document("x.png", SHAPE[1], SHAPE[0])
    h = History(doc)
    states = [state(doc)]  # states[i]: the document at history index i
    for kind, seed in session:
        if kind == "undo":
            if h.undo():
                assert state(doc) == states[h.index]
            continue
        if kind == "redo":
            if h.redo():
                assert state(doc) == states[h.index]
            continue
        h.push(make_command(doc, kind, seed))
        # appended, merged into the top command, or dropped as obsolete: either way the
        # redo tail is gone and the current position shows the current document
        states = states[: h.index] + [state(doc)]
        assert len(states) == h.count + 1
    # walk the whole history both ways
    while h.undo():
        assert state(doc) == states[h.index]
    while h.redo():
        assert state(doc) == states[h.index]
