"""Issue 13 rule: reading any user file raises only the project's own error types, with
one-line messages. Each reader is fuzzed: image, box file, sidecar, checkpoint, manifest.

Every reader either returns a well-formed value or raises its own error — never a
KeyError, RecursionError, OverflowError, struct.error, … from deep inside.
"""

from __future__ import annotations

import functools
import io
import json
import math
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image

from tests.fuzz.strategies import FUZZ, json_values, mutated, one_line


# --- images ---------------------------------------------------------------------------
def _image_seeds() -> list[bytes]:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    seeds = []
    for fmt, mode, kw in [("PNG", "RGB", {}), ("PNG", "RGBA", {}), ("PNG", "I;16", {}),
                          ("JPEG", "RGB", {"exif": b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00"}),
                          ("TIFF", "CMYK", {}), ("GIF", "P", {}), ("BMP", "RGB", {}), ("WEBP", "RGB", {})]:
        img = Image.fromarray(rgb)
        img = img.convert(mode) if mode != "I;16" else Image.fromarray(rgb[..., 0].astype(np.uint16) * 257)
        buf = io.BytesIO()
        img.save(buf, fmt, **kw)
        seeds.append(buf.getvalue())
    return seeds


IMAGE_SEEDS = _image_seeds()


@FUZZ
@given(data=mutated(IMAGE_SEEDS) | st.binary(max_size=64))
@example(data=IMAGE_SEEDS[0][:40])
def test_image_reader(tmp_path_factory, data: bytes) -> None:
    from dis_annotator.io.load import ImageLoadError, image_size, load_image

    p = tmp_path_factory.mktemp("img") / "x.png"
    p.write_bytes(data)
    try:
        w, h = image_size(p)
        assert w > 0 and h > 0
    except ImageLoadError as exc:
        one_line(exc)
    try:
        rgb = load_image(p, max_pixels=4_000_000)
    except ImageLoadError as exc:
        one_line(exc)
        return
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.size > 0


# --- box files --------------------------------------------------------------------------
def _box_texts() -> st.SearchStrategy[str]:
    mapping = st.dictionaries(st.text(max_size=10), json_values, max_size=4).map(json.dumps)
    coco = st.fixed_dictionaries(
        {"images": json_values | st.lists(st.dictionaries(st.sampled_from(["id", "file_name"]), json_values)),
         "annotations": json_values | st.lists(st.dictionaries(
             st.sampled_from(["id", "image_id", "bbox", "category_id"]), json_values)),
         "categories": json_values},
    ).map(json.dumps)
    csv_rows = st.lists(
        st.lists(st.text(max_size=8) | st.floats().map(repr), min_size=0, max_size=7).map(",".join),
        max_size=5,
    ).map("\n".join)
    valid = json.dumps({"a.png": [[1, 2, 30, 40]], "b/c.jpg": {"box": [0, 0, 5, 5]}})
    return mapping | coco | csv_rows | json_values.map(json.dumps) | st.text(max_size=60) | \
        mutated([valid.encode()]).map(lambda b: b.decode("utf-8", "replace"))


@FUZZ
@given(text=_box_texts())
@example(text='{"images": [{"id": 1, "file_name": "a"}], "annotations": [5]}')
@example(text="[" * 50_000)
def test_box_file_reader(tmp_path_factory, text: str) -> None:
    from dis_annotator.io.boxes import BoxFileError, read_boxes

    p = tmp_path_factory.mktemp("boxes") / "b.txt"
    p.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        table = read_boxes(p)
    except BoxFileError as exc:
        one_line(exc)
        return
    for key, entries in table.items():
        assert isinstance(key, str)
        for e in entries:
            assert len(e.box) == 4 and all(isinstance(v, float) and math.isfinite(v) for v in e.box)
            assert isinstance(e.label, str)


# --- sidecars ------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def sidecar_seed():
    """(image bytes, sidecar JSON, mask files): a module-level cache rather than a fixture,
    so a failing example prints only its edits."""
    from dis_annotator.annotation import (
        AddObject,
        Document,
        History,
        PaintMask,
        SetMask,
        save_sidecar,
        stroke_mask,
    )
    from dis_annotator.annotation import sidecar_path as path_of

    folder = Path(tempfile.mkdtemp(prefix="fuzz-seed-"))
    image = folder / "img.png"
    Image.fromarray(np.zeros((24, 32, 3), np.uint8)).save(image)
    doc = Document(image, 32, 24)
    h = History(doc)
    for i in range(3):
        r = doc.new_object(label=f"o{i}")
        h.push(AddObject(r))
        m = np.zeros((24, 32), bool)
        m[2 + 6 * i: 6 + 6 * i, 3:20] = True
        h.push(SetMask(r.id, m))
        # edit layers (painted and erased pixels) on every object
        h.push(PaintMask(r.id, stroke_mask(doc.shape, [(22, 3 + 6 * i), (28, 4 + 6 * i)], 1.0), True))
        h.push(PaintMask(r.id, stroke_mask(doc.shape, [(8, 3 + 6 * i)], 1.0), False))
    jp = save_sidecar(doc)
    files = {p.name: p.read_bytes() for p in jp.parent.iterdir() if p.suffix == ".png"}
    return image.read_bytes(), json.loads(path_of(image).read_text()), files


FIELDS = ["id", "label", "color", "visible", "prompt", "provenance", "mask", "edits"]
TOP = ["format", "version", "image", "objects"]


@st.composite
def sidecar_edits(draw):
    """(kind, payload): a structural edit of the JSON, raw bytes, or a damaged mask file."""
    kind = draw(st.sampled_from(["object-field", "mask-field", "edits-field", "top", "object", "bytes",
                                 "mask-file"]))
    if kind == "object-field":
        return kind, (draw(st.integers(0, 2)), draw(st.sampled_from(FIELDS)), draw(json_values))
    if kind == "mask-field":
        return kind, (draw(st.integers(0, 2)), draw(st.sampled_from(["file", "digest", "area", "bbox"])),
                      draw(json_values))
    if kind == "edits-field":
        key = draw(st.sampled_from(["rect", "painted", "erased", "model", "painted.size", "model.counts"]))
        return kind, (draw(st.integers(0, 2)), key, draw(json_values))
    if kind == "top":
        return kind, (draw(st.sampled_from(TOP)), draw(json_values))
    if kind == "object":
        return kind, (draw(st.integers(0, 2)), draw(json_values))
    if kind == "bytes":
        return kind, draw(st.binary(max_size=80))
    return kind, (draw(st.integers(0, 2)), draw(st.binary(max_size=40)))


@FUZZ
@given(edits=st.lists(sidecar_edits(), min_size=1, max_size=3))
@example(edits=[("object-field", (0, "id", "\ud800")), ("object-field", (1, "label", "\udfff"))])
@example(edits=[("object-field", (1, "id", 7)), ("object-field", (2, "id", "7"))])
@example(edits=[("top", ("version", {"a\nb": 10**30, "c": ["x" * 900]}))])
@example(edits=[("top", ("version", 10**40))])
@example(edits=[("object-field", (0, "provenance", {"": float("inf")}))])
def test_sidecar_reader_and_the_save_after_it(tmp_path_factory, edits) -> None:
    from dis_annotator.annotation import SidecarError, SidecarMismatch, load_sidecar, save_sidecar
    from dis_annotator.annotation.sidecar import read_sidecar, sidecar_path, sidecar_status

    image_bytes, seed, files = sidecar_seed()
    folder = tmp_path_factory.mktemp("sc")
    image = folder / "img.png"
    image.write_bytes(image_bytes)
    jp = sidecar_path(image)
    jp.parent.mkdir()
    for name, data in files.items():
        (jp.parent / name).write_bytes(data)
    data = json.loads(json.dumps(seed))
    raw = None

    def obj(i):  # the i-th object entry when an earlier edit left one there
        objects = data.get("objects")
        if isinstance(objects, list) and len(objects) > i and isinstance(objects[i], dict):
            return objects[i]
        return None

    for kind, payload in edits:
        if kind == "object-field" and obj(payload[0]) is not None:
            i, key, value = payload
            obj(i)[key] = value
        elif kind == "mask-field" and obj(payload[0]) is not None and isinstance(obj(payload[0]).get("mask"), dict):
            obj(payload[0])["mask"][payload[1]] = payload[2]
        elif kind == "edits-field" and obj(payload[0]) is not None and isinstance(obj(payload[0]).get("edits"), dict):
            target, *sub = payload[1].split(".")
            edits = obj(payload[0])["edits"]
            if sub and isinstance(edits.get(target), dict):
                edits[target][sub[0]] = payload[2]
            elif not sub:
                edits[target] = payload[2]
        elif kind == "top":
            data[payload[0]] = payload[1]
        elif kind == "object" and isinstance(data.get("objects"), list) and data["objects"]:
            data["objects"][payload[0] % len(data["objects"])] = payload[1]
        elif kind == "bytes":
            raw = payload
        elif kind == "mask-file":
            name = sorted(files)[payload[0]]
            blob = files[name]
            (jp.parent / name).write_bytes(blob[: len(payload[1])] + payload[1])
    jp.write_bytes(raw if raw is not None else json.dumps(data).encode())

    assert sidecar_status(image) in ("none", "empty", "masks", "error")
    try:
        load = read_sidecar(image)
    except SidecarMismatch as exc:  # a changed size: refused, left alone
        one_line(exc)
        return
    assert load is not None
    for p in load.problems:
        one_line(SidecarError(p))
    for o in load.doc:
        assert o.mask.shape == (24, 32) and o.mask.dtype == bool
    try:
        load_sidecar(image)
    except SidecarError as exc:
        one_line(exc)
        assert load.problems
    before = {p.name for p in jp.parent.iterdir() if p.suffix == ".png"}
    save_sidecar(load.doc)  # the save after a damaged load never fails …
    after = {p.name for p in jp.parent.iterdir()}
    if load.problems:
        assert before <= after  # … and deletes no mask file a backup may need;
    else:  # a sound sidecar keeps what it references (orphans may go, as always)
        named = {o["mask"]["file"] for o in data["objects"] if o.get("mask")}
        assert named & before <= after
    assert read_sidecar(image).problems == []


# --- checkpoints ------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def checkpoint_seeds() -> list[bytes]:
    import torch

    from dis_annotator.engine.checkpoint import save_checkpoint

    d = Path(tempfile.mkdtemp(prefix="fuzz-ckpt-"))
    save_checkpoint(d / "ours.pth", "is5net", {"a.weight": torch.ones(2, 3), "b": torch.zeros(4)},
                    config={"width": 0.125})
    torch.save({"conv_in.weight": torch.zeros(4, 5, 3, 3)}, d / "bare.pth")
    torch.save([torch.zeros(2)], d / "list.pth")
    torch.save({"x": 1}, d / "legacy.pth", _use_new_zipfile_serialization=False)
    return [p.read_bytes() for p in sorted(d.iterdir())]


@FUZZ
@given(data=st.data())
def test_checkpoint_reader(tmp_path_factory, data) -> None:
    from dis_annotator.engine.errors import WeightsError
    from dis_annotator.engine.weights.manifest import ModelInfo
    from dis_annotator.engine.weights.registry import check_file

    blob = data.draw(mutated(checkpoint_seeds()) | st.binary(max_size=200), label="checkpoint bytes")
    p = tmp_path_factory.mktemp("ckf") / "w.pth"
    p.write_bytes(blob)
    for kind in ("is5net", "isnet", "pisam", "sam"):
        info = ModelInfo("m", kind, "w.pth", arch="vit_b" if kind in ("sam", "pisam") else None)
        res = check_file(info, p, use_record=False)  # never raises
        assert res.status in ("unverified", "unreadable", "unusable")
        assert "\n" not in res.line()
    from dis_annotator.engine.checkpoint import load_checkpoint

    try:
        load_checkpoint(p)
    except WeightsError as exc:
        one_line(exc)


@FUZZ
@given(obj=json_values, kind=st.sampled_from(["is5net", "isnet", "pisam", "sam"]))
def test_checkpoint_contents_validation(obj, kind) -> None:
    import torch

    from dis_annotator.engine.errors import WeightsError
    from dis_annotator.engine.weights.manifest import ModelInfo
    from dis_annotator.engine.weights.validate import validate_checkpoint

    def tensors(v):  # JSON-ish contents with tensors in place of numeric lists
        if isinstance(v, dict):
            return {k: tensors(x) for k, x in v.items()}
        if isinstance(v, list) and v and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
            return torch.zeros(*[abs(x) % 4 for x in v[:4]])
        return v

    content = tensors(obj)
    if isinstance(content, dict) and len(content) % 2:
        content = {"format": "dis-annotator/1", "kind": kind, "config": content, "state_dict": content}
    try:
        validate_checkpoint(ModelInfo("m", kind, "w.pth", arch="vit_b"), content, "w.pth")
    except WeightsError as exc:
        one_line(exc)


# --- manifest ------------------------------------------------------------------------------
@FUZZ
@given(text=json_values.map(json.dumps)
       | st.fixed_dictionaries({"models": st.lists(
           st.dictionaries(st.sampled_from(["name", "kind", "file", "url", "size", "sha256", "aliases",
                                            "license", "local_only", "git_blob", "note"]), json_values),
           max_size=3)}).map(json.dumps)
       | st.text(max_size=40))
@example(text=json.dumps({"models": [{"name": "x", "kind": "sam", "file": "../../etc/passwd"}]}))
def test_manifest_reader(text: str) -> None:
    from dis_annotator.engine.errors import WeightsError
    from dis_annotator.engine.weights.manifest import parse_manifest

    try:
        entries = parse_manifest(text, "manifest.json")
    except WeightsError as exc:
        one_line(exc)
        return
    for e in entries:
        assert e.file and Path(e.file).name == e.file and ".." not in Path(e.file).parts
        assert e.git_blob is None or (len(e.git_blob) == 40 and set(e.git_blob) <= set("0123456789abcdef"))
