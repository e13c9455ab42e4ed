from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from dis_annotator.annotation import AddObject, Document, History, ImageList, SetMask, save_sidecar

from .conftest import blob


def make(folder: Path, names: list[str]) -> None:
    for n in names:
        Image.fromarray(np.zeros((8, 10, 3), np.uint8)).save(folder / n, format="PNG")


def test_sorted_navigation_and_status(tmp_path: Path) -> None:
    make(tmp_path, ["img10.png", "img2.PNG", "b.jpg", "notes.txt", ".hidden.png"])
    (tmp_path / "masks").mkdir()
    make(tmp_path / "masks", ["img2.png"])
    images = ImageList(tmp_path)
    assert [p.name for p in images] == ["b.jpg", "img2.PNG", "img10.png"]
    assert images.current.name == "b.jpg" and not images.has_previous()
    assert images.peek_next().name == "img2.PNG"
    assert images.next().name == "img2.PNG"
    assert images.next().name == "img10.png"
    assert images.next() is None and images.current.name == "img10.png"
    assert images.previous().name == "img2.PNG"
    assert images.annotated() == [False, False, False]

    doc = Document(tmp_path / "img10.png", 10, 8)
    save_sidecar(doc)  # annotated, but no pixels yet
    images.refresh()
    assert images.status(2) == "empty" and not images.has_annotation(2)
    h = History(doc)
    r = doc.new_object()
    h.push(AddObject(r))
    h.push(SetMask(r.id, blob(doc.shape, 4, 4, 2)))
    save_sidecar(doc)
    assert not images.has_annotation(2)  # cached until refreshed
    images.refresh(tmp_path / "img10.png")
    assert images.annotated() == [False, False, True]


def test_open_file_selects_it_and_explicit_list(tmp_path: Path) -> None:
    make(tmp_path, ["a.png", "b.png", "c.png"])
    images = ImageList.open(tmp_path / "b.png")
    assert len(images) == 3 and images.current_index == 1
    explicit = ImageList([tmp_path / "c.png", tmp_path / "a.png"])
    assert [p.name for p in explicit] == ["c.png", "a.png"]
    assert ImageList(tmp_path / "masks" if False else tmp_path).index_of(tmp_path / "c.png") == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert ImageList(empty).current is None
