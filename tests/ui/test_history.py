"""The app's undo stack (ui/history.py: QUndoStack around the annotation commands), with
compaction running as in the app (docs/adr/0061).

The random-session test drives the same random edits through ``Histories`` and through
the Qt-free ``annotation.History`` that most annotation tests use: both must show the same
document at every step, so those tests speak for the app's stack too.
"""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import given, settings

from dis_annotator.annotation import AddObject, Document, History, PaintMask, SetMask, stroke_mask
from dis_annotator.engine.types import Point, Prompt
from dis_annotator.ui.history import Histories
from tests.annotation.test_history_random import SHAPE, make_command, ops, state


@settings(max_examples=30, deadline=None)
@given(ops)
def test_random_session_qundostack_matches_history_at_every_step(qapp, session) -> None:
    qt_doc = Document("x.png", SHAPE[1], SHAPE[0])
    ref_doc = Document("x.png", SHAPE[1], SHAPE[0])
    histories = Histories()
    stack = histories.stack(qt_doc)
    ref = History(ref_doc)
    try:
        for kind, seed in session:
            if kind == "undo":
                assert stack.canUndo() == ref.can_undo()
                stack.undo()
                ref.undo()
            elif kind == "redo":
                assert stack.canRedo() == ref.can_redo()
                stack.redo()
                ref.redo()
            else:
                cmd = make_command(qt_doc, kind, seed)
                twin = copy.deepcopy(cmd)  # not applied yet: an identical, independent command
                histories.push(qt_doc, cmd)
                ref.push(twin)
            assert (stack.index(), stack.count()) == (ref.index, ref.count)
            assert state(qt_doc) == state(ref_doc)
        histories.flush()  # compaction done: every position still shows the same document
        while stack.canUndo():
            stack.undo()
            ref.undo()
            assert state(qt_doc) == state(ref_doc)
        while stack.canRedo():
            stack.redo()
            ref.redo()
            assert state(qt_doc) == state(ref_doc)
    finally:
        histories.close()


def _blob(shape: tuple[int, int], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = np.zeros(shape, bool)
    m[50:350, 60:420] = rng.random((300, 360)) < 0.6  # hard to compress
    return m


def test_pushed_commands_are_compacted_in_the_background(qapp):
    doc = Document("x.png", 500, 400)
    histories = Histories()
    try:
        rec = doc.new_object()
        histories.push(doc, AddObject(rec, compress=False))
        first = SetMask(rec.id, _blob(doc.shape, 1), compress=False)
        histories.push(doc, first)
        raw = first.nbytes
        histories.flush()
        assert first.nbytes < raw  # zlib ran, off the UI thread
        assert all(p.new.compressed_ and p.old.compressed_ for p in first.patches)
        # merged results: the absorbed patches are compacted too
        key = f"{rec.id}:7"
        coarse = SetMask(rec.id, _blob(doc.shape, 2), merge_key=key, compress=False)
        refined = SetMask(rec.id, _blob(doc.shape, 3), merge_key=key, compress=False)
        stack = histories.stack(doc)
        histories.push(doc, coarse)
        n = stack.count()
        histories.push(doc, refined)
        assert stack.count() == n  # one undo step
        histories.flush()
        assert all(p.new.compressed_ for p in coarse.patches) and len(coarse.patches) == 2
        np.testing.assert_array_equal(doc.get(rec.id).mask, _blob(doc.shape, 3))
        stack.undo()
        np.testing.assert_array_equal(doc.get(rec.id).mask, _blob(doc.shape, 1))
        stack.redo()
        np.testing.assert_array_equal(doc.get(rec.id).mask, _blob(doc.shape, 3))
        assert histories.nbytes(doc) == sum(stack.command(i).cmd.nbytes for i in range(stack.count()))
    finally:
        histories.close()


def test_drag_merges_into_one_step_and_clean_state_blocks_merging(qapp):
    doc = Document("x.png", 64, 48)
    histories = Histories()
    try:
        stack = histories.stack(doc)
        rec = doc.new_object()
        histories.push(doc, AddObject(rec))
        for a, b in [((5, 5), (20, 5)), ((20, 5), (20, 30))]:
            histories.push(doc, PaintMask(rec.id, stroke_mask(doc.shape, [a, b], 2), True,
                                          merge_key="drag-1"))
        assert stack.count() == 2 and stack.undoText() == "Brush"
        stack.setClean()
        histories.push(doc, PaintMask(rec.id, stroke_mask(doc.shape, [(40, 40), (50, 40)], 2),
                                      True, merge_key="drag-1"))
        assert stack.count() == 3  # never merged across the clean state (as History)
        histories.push(doc, SetMask(rec.id, None, prompt=Prompt(points=(Point(3, 3),))))
        stack.undo()
        stack.undo()
        assert stack.isClean()
        stack.undo()
        assert not doc.get(rec.id).mask.any()
    finally:
        histories.close()
