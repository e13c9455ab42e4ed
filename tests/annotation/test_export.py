from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from dis_annotator.annotation import (
    AddObject,
    DeleteObject,
    Document,
    History,
    SetMask,
    default_export_dir,
    export_document,
)
from dis_annotator.io import read_mask_png

from .conftest import blob


def test_export_writes_union_objects_and_cutouts(doc: Document, image_file: Path, rgb) -> None:
    h = History(doc)
    masks = [blob(doc.shape, 15, 15, 8), blob(doc.shape, 45, 30, 10)]
    for m in masks:
        r = doc.new_object()
        h.push(AddObject(r))
        h.push(SetMask(r.id, m))
    paths = export_document(doc, rgb, cutouts=True)
    out = default_export_dir(image_file)
    assert out == image_file.parent / "masks"
    assert [p.name for p in paths] == [
        "photo.png", "photo_cutout.png", "photo_obj1.png", "photo_obj1_cutout.png",
        "photo_obj2.png", "photo_obj2_cutout.png",
    ]
    union = np.asarray(Image.open(out / "photo.png"))
    assert union.shape == (48, 64) and set(np.unique(union)) == {0, 255}
    assert np.array_equal(union == 255, masks[0] | masks[1])
    assert np.array_equal(read_mask_png(out / "photo_obj2.png"), masks[1])
    cut = np.asarray(Image.open(out / "photo_obj1_cutout.png"))
    assert cut.shape == (48, 64, 4)
    assert np.array_equal(cut[..., 3] == 255, masks[0])
    assert np.array_equal(cut[..., :3][masks[0]], rgb[masks[0]])

    # after deleting an object, re-export removes the stale obj2 files
    h.push(DeleteObject(doc.ids()[0]))
    export_document(doc, rgb, cutouts=True)
    assert sorted(p.name for p in out.iterdir()) == [
        "photo.png", "photo_cutout.png", "photo_obj1.png", "photo_obj1_cutout.png",
    ]
    assert np.array_equal(read_mask_png(out / "photo_obj1.png"), masks[1])


def test_export_rel_path_and_out_dir(doc: Document, tmp_path: Path) -> None:
    h = History(doc)
    r = doc.new_object()
    h.push(AddObject(r))
    h.push(SetMask(r.id, blob(doc.shape, 10, 10, 5)))
    paths = export_document(doc, None, tmp_path / "out", "sub/dir/photo.png", per_object=False)
    assert paths == [tmp_path / "out" / "sub" / "dir" / "photo.png"]
