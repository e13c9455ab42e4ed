"""Issue 13 cases 2, 3, 4 and 12 at the sidecar level: a damaged sidecar never loses the
intact objects, is backed up (uniquely) before the first save, and never raises beyond
SidecarError."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dis_annotator.annotation import (
    AddObject,
    Document,
    History,
    PaintMask,
    SetMask,
    SidecarError,
    load_sidecar,
    save_sidecar,
    sidecar_path,
    sidecar_status,
    stroke_mask,
)
from dis_annotator.annotation.sidecar import read_sidecar

from .conftest import blob


def three_objects(image_file: Path) -> tuple[Document, History]:
    doc = Document(image_file, 64, 48)
    h = History(doc)
    for i, label in enumerate(("sun", "tree", "cat")):
        r = doc.new_object(label=label)
        h.push(AddObject(r))
        h.push(SetMask(r.id, blob(doc.shape, 12 + 20 * i, 24, 7)))
    save_sidecar(doc)
    return doc, h


def mask_files(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.png")}


def backups(jp: Path) -> list[Path]:
    return sorted(jp.parent.glob(jp.name[:-5] + ".damaged-*.json"))


def _edit(data: dict, how: str, folder: Path) -> None:
    tree = data["objects"][1]
    if how == "missing mask file":
        (folder / tree["mask"]["file"]).unlink()
    elif how == "digest differs":
        Image.fromarray(np.zeros((48, 64), np.uint8)).save(folder / tree["mask"]["file"])
    elif how == "duplicate id":
        tree["id"] = data["objects"][0]["id"]
    elif how == "bad prompt":
        tree["prompt"] = {"box": [1, 2, "x"], "points": 7}
    elif how == "colour 1e400":
        tree["color"] = "INF"  # replaced by a literal 1e400 below
    elif how == "entry not an object":
        data["objects"][1] = 1
    elif how == "mask entry junk":
        tree["mask"] = ["nope"]


DAMAGE = ["missing mask file", "digest differs", "duplicate id", "bad prompt", "colour 1e400",
          "entry not an object", "mask entry junk"]
DROPPED = {"missing mask file", "digest differs", "entry not an object", "mask entry junk"}


@pytest.mark.parametrize("how", DAMAGE)
def test_one_broken_object_keeps_the_others(image_file: Path, how: str) -> None:
    doc, _ = three_objects(image_file)
    jp = sidecar_path(image_file)
    folder = jp.parent
    data = json.loads(jp.read_text())
    _edit(data, how, folder)
    text = json.dumps(data).replace('"INF"', "[1e400, 0, 0]")
    jp.write_text(text)
    files_before = mask_files(folder)

    load = read_sidecar(image_file)
    assert load is not None and load.problems
    labels = [o.label for o in load.doc]
    assert "sun" in labels and "cat" in labels
    assert len(load.doc) == (2 if how in DROPPED else 3)
    assert any("object 2" in p for p in load.problems)  # named: position, label/id
    assert all("\n" not in p for p in load.problems)
    with pytest.raises(SidecarError):
        load_sidecar(image_file)  # the strict form still refuses

    # the next edit autosaves: the original is backed up first, no mask file is lost
    h = History(load.doc)
    sun = load.doc.objects[0]
    h.push(PaintMask(sun.id, stroke_mask(load.doc.shape, [(2, 2), (10, 2)], 2), True))
    save_sidecar(load.doc)
    [backup] = backups(jp)
    assert backup.read_text() == text
    assert files_before <= mask_files(folder)  # everything the backup names is still there
    again = read_sidecar(image_file)
    assert again is not None and not again.problems
    assert [o.label for o in again.doc] == labels


def test_two_damaged_sidecars_within_a_second_get_two_backups(image_file: Path) -> None:
    doc, _ = three_objects(image_file)
    jp = sidecar_path(image_file)
    contents = []
    for n in range(3):
        data = json.loads(jp.read_text())
        data["objects"][n]["visible"] = f"damage {n}"
        text = json.dumps(data)
        jp.write_text(text)
        contents.append(text)
        load = read_sidecar(image_file)
        assert load.problems
        save_sidecar(load.doc)
    found = backups(jp)
    assert len(found) == 3
    assert sorted(p.read_text() for p in found) == sorted(contents)


@pytest.mark.parametrize("text", [
    None,  # objects as a mapping
    "[" * 100_000 + "]" * 100_000,
    '{"format": "dis-annotator-sidecar", "version": 1, "image": [], "objects": [1]}',
    "\xff\xfe not utf-8",
    '{"format": "dis-annotator-sidecar", "version": 99}',
])
def test_malformed_sidecars_load_as_far_as_possible(image_file: Path, text: str | None) -> None:
    doc, _ = three_objects(image_file)
    jp = sidecar_path(image_file)
    if text is None:
        data = json.loads(jp.read_text())
        data["objects"] = {"a": 1}
        text = json.dumps(data)
    jp.write_bytes(text.encode("utf-8", "surrogateescape") if "\xff" not in text else b"\xff\xfe junk")
    original = jp.read_bytes()
    load = read_sidecar(image_file)  # never raises for damage
    assert load is not None and load.problems and len(load.doc) == 0
    assert (load.doc.width, load.doc.height) == (64, 48)
    assert sidecar_status(image_file) in ("error", "empty")
    # a save does not fail and does not lose the original
    save_sidecar(load.doc)
    assert [p.read_bytes() for p in backups(jp)] == [original]
    assert read_sidecar(image_file).problems == []


def test_image_entry_damaged_still_loads_objects_and_saves(image_file: Path) -> None:
    doc, _ = three_objects(image_file)
    jp = sidecar_path(image_file)
    data = json.loads(jp.read_text())
    data["image"] = []
    jp.write_text(json.dumps(data))
    load = read_sidecar(image_file)
    assert [o.label for o in load.doc] == ["sun", "tree", "cat"]
    assert any("image entry" in p for p in load.problems)
    save_sidecar(load.doc)  # case 4: autosave used to fail on every attempt
    assert len(backups(jp)) == 1
    assert read_sidecar(image_file).problems == []


def test_status_never_raises(image_file: Path) -> None:
    doc, _ = three_objects(image_file)
    jp = sidecar_path(image_file)
    data = json.loads(jp.read_text())
    for bad in ("lots", None, [1], True):
        data["objects"][0]["mask"]["area"] = bad
        jp.write_text(json.dumps(data))
        assert sidecar_status(image_file) in ("masks", "empty")


def test_backups_protect_masks_of_non_ascii_image_names(tmp_path: Path) -> None:
    image = tmp_path / "fötö ☃.png"
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(image)
    doc, h = three_objects(image)
    jp = sidecar_path(image)
    data = json.loads(jp.read_text())
    data["objects"][2]["prompt"] = 3  # damage that keeps the object
    jp.write_text(json.dumps(data))  # ensure_ascii: the names are \\u-escaped in the text
    old = mask_files(jp.parent)
    load = read_sidecar(image)
    hist = History(load.doc)
    for o in list(load.doc.objects):
        hist.push(SetMask(o.id, blob(load.doc.shape, 30, 30, 3)))  # every mask replaced
    save_sidecar(load.doc)
    assert old <= mask_files(jp.parent)


def test_a_save_sweeps_temp_files_a_killed_save_left(image_file: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    doc, h = three_objects(image_file)
    folder = sidecar_path(image_file).parent
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    stale = folder / f".photo.png.json.{proc.pid}-abcd1234.tmp"
    stale.write_text("{half")
    os.utime(stale, (time.time() - 600,) * 2)
    h.push(PaintMask(doc.ids()[0], stroke_mask(doc.shape, [(3, 3)], 2), True))
    save_sidecar(doc)
    assert not stale.exists()
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_backups_do_not_hold_back_later_versions_of_an_object(image_file: Path) -> None:
    doc, _ = three_objects(image_file)
    jp = sidecar_path(image_file)
    folder = jp.parent
    data = json.loads(jp.read_text())
    data["objects"][1]["mask"] = ["junk"]  # tree's file is named by no JSON any more
    jp.write_text(json.dumps(data))
    at_backup = mask_files(folder)
    load = read_sidecar(image_file)
    h = History(load.doc)
    sun = load.doc.objects[0].id
    for i in range(4):  # four saves, each with a new version of "sun"
        h.push(PaintMask(sun, stroke_mask(load.doc.shape, [(2, 5 + 3 * i)], 1), True))
        save_sidecar(load.doc)
    now = mask_files(folder)
    assert at_backup <= now  # everything the backup may need is still there …
    assert len(now - at_backup) == 1  # … but only the latest version of "sun" was added


def test_non_finite_provenance_never_fails_a_save(image_file: Path) -> None:
    # found by tests/fuzz: "Infinity" in a sidecar loaded, then every autosave failed
    doc = Document(image_file, 64, 48)
    h = History(doc)
    r = doc.new_object()
    h.push(AddObject(r))
    h.push(SetMask(r.id, blob(doc.shape, 20, 20, 5),
                   provenance={"score": float("nan"), "curve": np.array([1.0, np.inf])}))
    save_sidecar(doc)
    back = read_sidecar(image_file)
    assert back.problems == []
    assert back.doc.objects[0].provenance == {"score": None, "curve": [1.0, None]}
    jp = sidecar_path(image_file)
    jp.write_text(jp.read_text().replace('"score": null', '"score": Infinity'))
    load = read_sidecar(image_file)
    assert any("provenance" in p for p in load.problems)
    save_sidecar(load.doc)
