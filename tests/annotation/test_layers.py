"""The composition rule of an object's mask (docs/adr/0130), without Qt:

    mask = model result + painted − erased, a later stroke winning over an earlier one;
    a new model result replaces only the model part; "Clear manual edits" gives the
    mask back to the model; undoing a model result never touches the layers.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dis_annotator.annotation import (
    AddObject,
    ClearEdits,
    Document,
    EditLayers,
    History,
    PaintMask,
    SetMask,
    compose,
    stroke_mask,
)

SHAPE = (30, 40)
BIG = (100, 140)  # random sessions: several 64² storage tiles


def disc(cx: float, cy: float, r: float, shape=SHAPE) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r


def full(region, shape=SHAPE) -> np.ndarray:
    rect, window = region
    out = np.zeros(shape, bool)
    out[rect.slices] = window
    return out


def setup(shape=SHAPE):
    doc = Document("x.png", shape[1], shape[0])
    h = History(doc)
    obj = doc.new_object()
    h.push(AddObject(obj))
    return doc, h, obj.id


def planes(doc: Document, obj_id: str) -> tuple[np.ndarray, np.ndarray]:
    """Full-size painted / erased masks of an object."""
    rect, p, e, _ = doc.get(obj_id).edits.planes()
    fp, fe = np.zeros(doc.shape, bool), np.zeros(doc.shape, bool)
    fp[rect.slices], fe[rect.slices] = p, e
    return fp, fe


def test_a_new_model_result_keeps_painted_and_erased_pixels() -> None:
    doc, h, oid = setup()
    m1 = disc(20, 15, 8)
    h.push(SetMask(oid, m1))
    brushed = full(stroke_mask(SHAPE, [(2, 2), (8, 4)], 1.5))  # outside the object
    erased = full(stroke_mask(SHAPE, [(14, 15), (26, 15)], 1.2))  # a band through it
    h.push(PaintMask(oid, brushed, True))
    h.push(PaintMask(oid, erased, False))
    assert np.array_equal(doc.get(oid).mask, (m1 | brushed) & ~erased)

    m2 = disc(22, 14, 10)  # a "better model": bigger, moved
    h.push(SetMask(oid, m2))
    assert np.array_equal(doc.get(oid).mask, (m2 | brushed) & ~erased)
    assert np.array_equal(planes(doc, oid)[0], brushed & ~erased)
    assert np.array_equal(planes(doc, oid)[1], erased)
    # the model part is really m2: clearing the edits shows exactly it
    assert np.array_equal(doc.get(oid).edits.model_of(doc.get(oid).mask), m2)
    assert np.array_equal(compose(m2, doc.get(oid).edits), doc.get(oid).mask)


def test_undoing_a_model_result_leaves_the_layers_alone() -> None:
    doc, h, oid = setup()
    h.push(SetMask(oid, disc(20, 15, 8)))
    brushed = full(stroke_mask(SHAPE, [(2, 2), (8, 4)], 1.5))
    h.push(PaintMask(oid, brushed, True))
    before, layers = doc.get(oid).mask.copy(), planes(doc, oid)
    h.push(SetMask(oid, np.zeros(SHAPE, bool)))
    assert np.array_equal(doc.get(oid).mask, brushed)  # an empty result: only the paint left
    h.undo()
    assert np.array_equal(doc.get(oid).mask, before)
    assert all(np.array_equal(a, b) for a, b in zip(planes(doc, oid), layers, strict=True))
    h.redo()
    assert np.array_equal(doc.get(oid).mask, brushed)
    assert all(np.array_equal(a, b) for a, b in zip(planes(doc, oid), layers, strict=True))


def test_a_later_stroke_wins_over_an_earlier_one() -> None:
    doc, h, oid = setup()
    h.push(SetMask(oid, disc(20, 15, 8)))
    band = full(stroke_mask(SHAPE, [(5, 15), (35, 15)], 2))
    spot = full(stroke_mask(SHAPE, [(20, 15)], 3))
    h.push(PaintMask(oid, band, False))  # erase a band
    h.push(PaintMask(oid, spot, True))  # paint a spot back inside it
    painted, erased = planes(doc, oid)
    assert np.array_equal(painted, spot)
    assert np.array_equal(erased, band & ~spot)
    # and the other way round: erasing over paint
    h.push(PaintMask(oid, spot, False))
    painted, erased = planes(doc, oid)
    assert not painted.any() and np.array_equal(erased, band | spot)
    # a model that says "all foreground" cannot bring any of it back
    h.push(SetMask(oid, np.ones(SHAPE, bool)))
    assert np.array_equal(doc.get(oid).mask, ~(band | spot))


def test_clear_manual_edits_returns_to_the_model_and_is_undoable() -> None:
    doc, h, oid = setup()
    m = disc(20, 15, 8)
    h.push(SetMask(oid, m))
    h.push(PaintMask(oid, stroke_mask(SHAPE, [(2, 2), (8, 4)], 1.5), True))
    h.push(PaintMask(oid, stroke_mask(SHAPE, [(14, 15), (26, 15)], 1.2), False))
    edited = doc.get(oid).mask.copy()
    h.push(ClearEdits(oid))
    assert np.array_equal(doc.get(oid).mask, m)
    assert not doc.get(oid).edits
    h.undo()
    assert np.array_equal(doc.get(oid).mask, edited)
    assert doc.get(oid).edits.counts()[0] > 0
    h.redo()
    assert np.array_equal(doc.get(oid).mask, m) and not doc.get(oid).edits
    # nothing to clear: obsolete, not a step
    n = h.count
    h.push(ClearEdits(oid))
    assert h.count == n


def test_layers_are_region_based_and_model_results_cost_no_layer_memory() -> None:
    doc = Document("x.png", 4000, 3000)
    h = History(doc)
    obj = doc.new_object()
    h.push(AddObject(obj))
    region = stroke_mask(doc.shape, [(100, 100), (160, 110)], 4)
    h.push(PaintMask(obj.id, region, True))
    edits = doc.get(obj.id).edits
    assert edits.rect == region[0]
    # a second stroke in the far corner: the rectangle spans the image, memory does not
    far = stroke_mask(doc.shape, [(3800, 2900), (3850, 2905)], 4)
    h.push(PaintMask(obj.id, far, False))
    assert edits.rect == region[0].union(far[0]) and edits.rect.area > 3000 * 2000
    assert edits.nbytes <= 6 * 64 * 64  # a few 64² tiles
    big = disc(2000, 1500, 1200, doc.shape)
    cmd = SetMask(obj.id, big)
    h.push(cmd)
    # the result does not reach the strokes: no layer change (their model bits stay 0)
    assert cmd.layer_patches == [] and edits.nbytes <= 6 * 64 * 64
    h.undo()
    h.undo()
    assert edits.rect == region[0]  # the rectangle follows the edited pixels


def test_compose_is_the_documents_rule() -> None:
    doc, h, oid = setup()
    h.push(PaintMask(oid, stroke_mask(SHAPE, [(2, 2), (30, 20)], 2), True))
    h.push(PaintMask(oid, stroke_mask(SHAPE, [(2, 20), (30, 2)], 2), False))
    model = disc(15, 15, 9)
    edits = doc.get(oid).edits.copy()
    got = compose(model, edits)
    h.push(SetMask(oid, model))
    assert np.array_equal(got, doc.get(oid).mask)
    assert not np.array_equal(got, model)
    assert np.array_equal(compose(model, None), model) and compose(model, EditLayers()) is not model


# --- random sessions against the rule applied from scratch ----------------------------------

op = st.one_of(
    st.tuples(st.just("model"), st.integers(0, 2**31)),
    st.tuples(st.sampled_from(["brush", "erase"]), st.integers(0, 2**31)),
    st.tuples(st.just("clear"), st.just(0)),
    st.tuples(st.sampled_from(["undo", "redo"]), st.just(0)),
)


def random_model(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if rng.random() < 0.2:
        return rng.random(BIG) < 0.5  # noise
    return disc(rng.uniform(0, 140), rng.uniform(0, 100), rng.uniform(0, 50), BIG)


def random_stroke(seed: int):
    rng = np.random.default_rng(seed)
    pts = [(float(rng.uniform(-3, 143)), float(rng.uniform(-3, 103))) for _ in range(int(rng.integers(1, 5)))]
    return stroke_mask(BIG, pts, float(rng.uniform(0.3, 12)))


def from_scratch(applied: list[tuple[str, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rule, naively: the latest model result, then every stroke since the last clear
    in order, each setting its pixels. Returns (mask, painted, erased)."""
    model = np.zeros(BIG, bool)
    last = np.zeros(BIG, np.int8)  # per pixel: 0 no edit, 1 painted, -1 erased (latest wins)
    for kind, seed in applied:
        if kind == "model":
            model = random_model(seed)
        elif kind == "clear":
            last[:] = 0
        else:
            last[full(random_stroke(seed), BIG)] = 1 if kind == "brush" else -1
    mask = np.where(last == 1, True, np.where(last == -1, False, model))
    return mask, last == 1, last == -1


@settings(max_examples=60, deadline=None)
@given(st.lists(op, min_size=1, max_size=30))
def test_random_strokes_and_model_results_equal_the_rule_from_scratch(session) -> None:
    doc, h, oid = setup(BIG)
    # applied[i]: the ops behind history index i (index 1: the object was just added)
    applied: list[list[tuple[str, int]]] = [[], []]
    for kind, seed in session:
        if kind == "undo":
            if h.index > 1:  # never undo the object itself
                h.undo()
        elif kind == "redo":
            h.redo()
        else:
            if kind == "model":
                cmd = SetMask(oid, random_model(seed))
            elif kind == "clear":
                cmd = ClearEdits(oid)
            else:
                cmd = PaintMask(oid, random_stroke(seed), kind == "brush")
            ops_now = applied[h.index] + [(kind, seed)]
            h.push(cmd)
            # a no-op is dropped (obsolete): the rule gives the same state without it
            applied = applied[: h.index] + [ops_now]
        mask, painted, erased = from_scratch(applied[h.index])
        obj = doc.get(oid)
        assert np.array_equal(obj.mask, mask)
        got_p, got_e = planes(doc, oid)
        assert np.array_equal(got_p, painted) and np.array_equal(got_e, erased)
        model = [s for k, s in applied[h.index] if k == "model"]
        expected_model = random_model(model[-1]) if model else np.zeros(BIG, bool)
        assert np.array_equal(obj.edits.model_of(obj.mask), expected_model)


def test_layer_patches_are_compacted_like_mask_patches() -> None:
    """Raw on push (``compress=False``, the app's way), zlib later, same pixels after."""
    doc, h, oid = setup((200, 300))
    h.push(SetMask(oid, disc(150, 100, 60, (200, 300)), compress=False))
    stroke = PaintMask(oid, stroke_mask((200, 300), [(10, 10), (290, 190)], 9), False, compress=False)
    h.push(stroke)
    clear = ClearEdits(oid, compress=False)
    h.push(clear)
    raw = [p for c in (stroke, clear) for p in c.layer_patches]
    assert raw and not any(p.new.bits.compressed_ for p in raw)
    before = stroke.nbytes + clear.nbytes
    saved = stroke.compact() + clear.compact()
    assert saved > 0 and stroke.nbytes + clear.nbytes == before - saved
    assert all(p.old.bits.compressed_ and p.new.bits.compressed_ for p in raw)
    after_clear = doc.get(oid).mask.copy()
    h.undo()
    assert doc.get(oid).edits.counts()[1] > 0
    h.undo()
    assert not doc.get(oid).edits
    h.redo()
    h.redo()
    assert np.array_equal(doc.get(oid).mask, after_clear) and not doc.get(oid).edits
