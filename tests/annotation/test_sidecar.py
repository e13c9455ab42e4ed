from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dis_annotator.annotation import (
    AddObject,
    DeleteObject,
    Document,
    History,
    PaintMask,
    SetMask,
    SetObjectVisible,
    SidecarError,
    SidecarMismatch,
    load_sidecar,
    save_sidecar,
    sidecar_path,
    sidecar_status,
    stroke_mask,
)
from dis_annotator.annotation import sidecar as sidecar_mod
from dis_annotator.annotation.serialize import document_from_json, document_json
from dis_annotator.engine.types import Box, Point, Prompt

from .conftest import blob


def annotated(doc: Document) -> History:
    h = History(doc)
    a = doc.new_object(label="ünïcode label")
    b = doc.new_object()
    h.push(AddObject(a))
    h.push(AddObject(b))
    h.push(SetMask(
        a.id, blob(doc.shape, 20, 20, 9),
        prompt=Prompt(box=Box(3.25, 4.5, 40.75, 33.0), points=(Point(10.1, 12.7), Point(1 / 3, 2.0, False))),
        provenance={"stages": [{"name": "grabcut", "ms": 12.5, "learned": False}], "np": np.float32(1.5)},
    ))
    h.push(PaintMask(b.id, stroke_mask(doc.shape, [(50, 5), (60, 40)], 2.3), True))
    h.push(SetObjectVisible(b.id, False))
    return h


def same(d1: Document, d2: Document) -> None:
    assert (d1.width, d1.height, d1.image_key) == (d2.width, d2.height, d2.image_key)
    assert d1.ids() == d2.ids()
    for o1, o2 in zip(d1.objects, d2.objects, strict=True):
        assert (o1.label, tuple(o1.color), o1.visible, o1.prompt) == (o2.label, tuple(o2.color), o2.visible, o2.prompt)
        assert np.array_equal(o1.mask, o2.mask) and o2.mask.dtype == bool


def test_round_trip_bit_identical(doc: Document, image_file: Path) -> None:
    annotated(doc)
    jp = save_sidecar(doc)
    assert jp == image_file.parent / ".dis-annotator" / "photo.png.json"
    assert not doc.dirty
    back = load_sidecar(image_file, image_key="k0")
    assert back is not None and not back.dirty
    same(doc, back)
    assert back.objects[0].provenance["np"] == 1.5
    assert back.objects[0].prompt.points[1].x == 1 / 3  # floats survive exactly
    assert sidecar_status(image_file) == "masks"


def test_no_sidecar_gives_none(image_file: Path) -> None:
    assert load_sidecar(image_file) is None
    assert sidecar_status(image_file) == "none"


def test_json_round_trip_with_rle(doc: Document) -> None:
    annotated(doc)
    data = json.loads(json.dumps(document_json(doc)))
    same(doc, document_from_json(data, doc.image_path))


def test_only_changed_masks_rewritten_and_orphans_removed(doc: Document, image_file: Path) -> None:
    h = annotated(doc)
    save_sidecar(doc)
    folder = sidecar_path(image_file).parent
    first = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.png")}
    assert len(first) == 2
    a, b = doc.ids()
    h.push(PaintMask(a, stroke_mask(doc.shape, [(5, 40)], 3), True))
    save_sidecar(doc)
    second = {p.name for p in folder.glob("*.png")}
    assert len(second) == 2 and len(second & set(first)) == 1  # b kept, a replaced
    h.push(DeleteObject(b))
    save_sidecar(doc)
    assert len(list(folder.glob("*.png"))) == 1
    same(doc, load_sidecar(image_file))


def test_crash_mid_save_keeps_previous_sidecar(doc: Document, image_file: Path, monkeypatch) -> None:
    h = annotated(doc)
    save_sidecar(doc)
    saved = load_sidecar(image_file)
    a = doc.ids()[0]
    h.push(SetMask(a, blob(doc.shape, 40, 30, 12)))
    h.push(SetMask(doc.ids()[1], doc.empty_mask()))

    # crash while writing the JSON (after the new mask files were written)
    real = sidecar_mod.atomic_write_text

    def boom(path, text):
        raise OSError("disk full")

    monkeypatch.setattr(sidecar_mod, "atomic_write_text", boom)
    with pytest.raises(OSError):
        save_sidecar(doc)
    assert doc.dirty
    same(saved, load_sidecar(image_file))

    # crash while writing a mask file
    def boom_mask(path, mask):
        raise OSError("disk full")

    monkeypatch.setattr(sidecar_mod, "atomic_write_text", real)
    h.push(SetMask(a, blob(doc.shape, 30, 30, 5)))  # a mask file not written yet
    monkeypatch.setattr(sidecar_mod, "write_mask_png", boom_mask)
    with pytest.raises(OSError):
        save_sidecar(doc)
    same(saved, load_sidecar(image_file))

    monkeypatch.undo()
    save_sidecar(doc)
    same(doc, load_sidecar(image_file))


def test_mismatched_image_refused_and_kept(doc: Document, image_file: Path, tmp_path: Path) -> None:
    annotated(doc)
    jp = save_sidecar(doc)
    content = jp.read_bytes()
    Image.fromarray(np.zeros((30, 30, 3), np.uint8)).save(image_file)  # user replaced the photo
    with pytest.raises(SidecarMismatch, match="64x48 image but the image is 30x30"):
        load_sidecar(image_file)
    with pytest.raises(SidecarMismatch, match="different pixels"):
        load_sidecar(image_file, image_key="other", size=(64, 48))
    assert jp.read_bytes() == content
    # a new document for the new image must not silently overwrite the old work
    fresh = Document(image_file, 30, 30)
    with pytest.raises(SidecarMismatch):
        save_sidecar(fresh)
    assert jp.read_bytes() == content
    save_sidecar(fresh, replace_mismatched=True)
    backups = list(jp.parent.glob("photo.png.mismatched-*.json"))
    assert len(backups) == 1 and backups[0].read_bytes() == content
    assert load_sidecar(image_file).objects == []
    assert len(list(jp.parent.glob("*.png"))) == 2  # old masks kept with their JSON


def test_damaged_sidecar_raises(doc: Document, image_file: Path) -> None:
    annotated(doc)
    jp = save_sidecar(doc)
    mask_file = next(jp.parent.glob("*.png"))
    Image.fromarray(np.zeros((48, 64), np.uint8)).save(mask_file)
    with pytest.raises(SidecarError, match="damaged"):
        load_sidecar(image_file)
    jp.write_text("{not json")
    with pytest.raises(SidecarError, match="not valid JSON"):
        load_sidecar(image_file)
    assert sidecar_status(image_file) == "error"


def test_same_stem_images_do_not_collide(tmp_path: Path) -> None:
    docs = []
    for i, ext in enumerate(("jpg", "png")):
        p = tmp_path / f"a.{ext}"
        Image.fromarray(np.full((20, 30, 3), 40 * i, np.uint8)).save(p)
        d = Document(p, 30, 20)
        h = History(d)
        r = d.new_object(label=ext)
        h.push(AddObject(r))
        h.push(SetMask(r.id, blob(d.shape, 5 + 15 * i, 10, 4)))
        save_sidecar(d)
        docs.append(d)
    for d in docs:
        same(d, load_sidecar(d.image_path))
    # saving one never deletes the other's masks
    h = History(docs[0])
    h.push(DeleteObject(docs[0].ids()[0]))
    save_sidecar(docs[0])
    same(docs[1], load_sidecar(docs[1].image_path))


def test_prepare_then_write_in_a_thread_saves_the_captured_state(doc: Document, image_file: Path) -> None:
    import threading

    h = annotated(doc)
    save_sidecar(doc)
    a, b = doc.ids()
    h.push(PaintMask(a, stroke_mask(doc.shape, [(3, 3), (20, 3)], 2), True))
    pending = sidecar_mod.prepare_save(doc)
    # only the changed mask was copied; the unchanged one is already on disk
    assert [i.mask is not None for i in pending.items] == [True, False]
    expected = doc.snapshot()
    h.push(SetMask(a, doc.empty_mask()))  # the user keeps editing meanwhile
    t = threading.Thread(target=pending.write)
    t.start()
    t.join()
    doc.mark_saved(pending.revision)
    assert doc.dirty  # the last edit is not in that save
    same(expected, load_sidecar(image_file))
    save_sidecar(doc)
    same(doc, load_sidecar(image_file))


def test_sidecar_masks_are_one_bit_pngs(doc: Document, image_file: Path) -> None:
    annotated(doc)
    jp = save_sidecar(doc)
    for f in jp.parent.glob("*.png"):
        with Image.open(f) as im:
            assert im.mode == "1" and im.size == (64, 48)


def test_concurrent_writes_leave_a_consistent_sidecar(doc: Document, image_file: Path) -> None:
    import threading

    h = annotated(doc)
    a = doc.ids()[0]
    pendings, expected = [], []
    for i in range(4):
        h.push(SetMask(a, blob(doc.shape, 10 + 8 * i, 20, 6)))
        pendings.append(sidecar_mod.prepare_save(doc))
        expected.append(doc.snapshot())
    threads = [threading.Thread(target=p.write) for p in pendings]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    back = load_sidecar(image_file)  # every referenced mask file exists and is intact
    assert any(
        np.array_equal(back.get(a).mask, e.get(a).mask) for e in expected
    )
