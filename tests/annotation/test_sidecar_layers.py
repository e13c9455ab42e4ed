"""Edit layers in the sidecar (format version 2, docs/adr/0131): saved and reopened exactly,
recorded in the provenance, damaged ones fall back to no layers (reported by name), and
version-1 sidecars — a fixture written by the version-1 code — open with empty layers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dis_annotator.annotation import (
    AddObject,
    ClearEdits,
    Document,
    History,
    PaintMask,
    SetMask,
    compose,
    load_sidecar,
    save_sidecar,
    sidecar_path,
    stroke_mask,
)
from dis_annotator.annotation.serialize import VERSION, document_from_json, document_json
from dis_annotator.annotation.sidecar import read_sidecar
from dis_annotator.engine.types import ImageData

from .conftest import blob

FIXTURE = Path(__file__).parent / "fixtures" / "sidecar_v1"


def edited_doc(image_file: Path) -> tuple[Document, History, str, np.ndarray]:
    """One object: a model result, a brushed wire outside it, an erased band through it."""
    doc = Document(image_file, 64, 48)
    h = History(doc)
    r = doc.new_object(label="cup")
    h.push(AddObject(r))
    model = blob(doc.shape, 30, 24, 10)
    h.push(SetMask(r.id, model, provenance={"stages": [{"name": "grabcut", "ms": 3.0}], "total_ms": 3.0}))
    h.push(PaintMask(r.id, stroke_mask(doc.shape, [(2, 40), (20, 44)], 1.0), True))
    h.push(PaintMask(r.id, stroke_mask(doc.shape, [(22, 24), (38, 24)], 1.5), False))
    return doc, h, r.id, model


def test_layers_survive_save_and_reopen(image_file: Path) -> None:
    doc, _, oid, model = edited_doc(image_file)
    save_sidecar(doc)
    data = json.loads(sidecar_path(image_file).read_text())
    assert data["version"] == VERSION == 2
    entry = data["objects"][0]
    painted, erased = doc.get(oid).edits.counts()
    assert entry["provenance"]["manual_edits"] == {"painted_px": painted, "erased_px": erased}
    assert entry["provenance"]["stages"][0]["name"] == "grabcut"
    assert set(entry["edits"]) == {"rect", "painted", "erased", "model"}

    back = load_sidecar(image_file)
    assert back is not None
    obj = back.get(oid)
    assert np.array_equal(obj.mask, doc.get(oid).mask)
    assert np.array_equal(obj.edits.codes, doc.get(oid).edits.codes)
    assert obj.edits.rect == doc.get(oid).edits.rect
    assert "manual_edits" not in obj.provenance  # derived on save, never stale in memory
    # the reopened object behaves like the live one: a new result keeps the edits ...
    h = History(back)
    other = blob(back.shape, 34, 20, 12)
    h.push(SetMask(oid, other))
    assert np.array_equal(obj.mask, compose(other, obj.edits))
    # ... and clearing them shows the model result
    h.push(ClearEdits(oid))
    assert np.array_equal(obj.mask, other)
    h.undo()
    h.undo()
    h.push(ClearEdits(oid))
    assert np.array_equal(obj.mask, model)  # the model under the edits came back from disk
    save_sidecar(back)
    entry = json.loads(sidecar_path(image_file).read_text())["objects"][0]
    assert entry["edits"] is None and "manual_edits" not in entry["provenance"]


def test_json_with_rle_masks_round_trips_the_layers(image_file: Path) -> None:
    doc, _, oid, _ = edited_doc(image_file)
    data = json.loads(json.dumps(document_json(doc)))
    back = document_from_json(data, image_file)
    assert np.array_equal(back.get(oid).edits.codes, doc.get(oid).edits.codes)
    assert np.array_equal(back.get(oid).mask, doc.get(oid).mask)


def _damage(entry: dict, how: str) -> None:
    edits = entry["edits"]
    if how == "junk":
        entry["edits"] = "nope"
    elif how == "rect outside the image":
        edits["rect"] = [60, 40, 90, 70]
    elif how == "rect not integers":
        edits["rect"] = [1.5, 2, 3, True]
    elif how == "plane size differs":
        edits["painted"]["size"] = [10**9, 10**9]
    elif how == "plane counts junk":
        edits["erased"]["counts"] = "%%%%"
    elif how == "painted and erased overlap":
        edits["erased"] = edits["painted"]
    elif how == "does not match the mask":
        p = edits["painted"]
        edits["painted"], edits["erased"] = edits["erased"], p


@pytest.mark.parametrize(
    "how",
    ["junk", "rect outside the image", "rect not integers", "plane size differs",
     "plane counts junk", "painted and erased overlap", "does not match the mask"],
)
def test_damaged_layers_fall_back_to_none_and_are_reported(image_file: Path, how: str) -> None:
    doc, _, oid, _ = edited_doc(image_file)
    save_sidecar(doc)
    jp = sidecar_path(image_file)
    data = json.loads(jp.read_text())
    _damage(data["objects"][0], how)
    jp.write_text(json.dumps(data))
    load = read_sidecar(image_file)
    assert load is not None
    [problem] = load.problems
    assert "object 1 'cup'" in problem and "edits unreadable" in problem and "default used" in problem
    obj = load.doc.get(oid)
    assert not obj.edits  # no layers, but the object and its (composed) mask are intact
    assert np.array_equal(obj.mask, doc.get(oid).mask)


def _fixture_image(tmp_path: Path) -> Path:
    from tests.annotation.fixtures.make_sidecar_v1 import fixture_rgb

    folder = tmp_path / "v1"
    (folder / ".dis-annotator").mkdir(parents=True)
    for f in FIXTURE.iterdir():
        shutil.copy(f, folder / ".dis-annotator" / f.name)
    p = folder / "photo.png"
    Image.fromarray(fixture_rgb()).save(p)
    return p


def test_a_version_1_sidecar_opens_with_empty_layers(tmp_path: Path) -> None:
    assert json.loads((FIXTURE / "photo.png.json").read_text())["version"] == 1
    image = _fixture_image(tmp_path)
    from tests.annotation.fixtures.make_sidecar_v1 import fixture_rgb

    key = ImageData(fixture_rgb()).key
    load = read_sidecar(image, key)
    assert load is not None and not load.problems
    doc = load.doc
    assert [o.label for o in doc] == ["disc", "empty"]
    disc, empty = doc.objects
    assert not disc.edits and not empty.edits
    assert disc.area == 505 and disc.provenance["stages"][0]["name"] == "grabcut"
    # Its old strokes are part of the model now (version 1 kept no layers); new strokes are
    # layers, and the next save writes version 2.
    h = History(doc)
    h.push(PaintMask(disc.id, stroke_mask(doc.shape, [(5, 5)], 2), True))
    before_result = disc.mask.copy()
    h.push(SetMask(disc.id, np.zeros(doc.shape, bool)))
    assert disc.mask.any() and disc.mask.sum() < before_result.sum()
    save_sidecar(doc)
    assert json.loads(sidecar_path(image).read_text())["version"] == 2
    again = load_sidecar(image, key)
    assert again is not None and np.array_equal(again.get(disc.id).mask, disc.mask)
