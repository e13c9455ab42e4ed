"""Issue 13 cases 8 and 13: malformed box files are one-line BoxFileErrors, never tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dis_annotator.io.boxes import BoxFileError, read_boxes

COCO_IMAGES = '"images": [{"id": 1, "file_name": "a.png"}]'


@pytest.mark.parametrize(
    "text,msg",
    [
        ('{' + COCO_IMAGES + ', "annotations": [5]}', "annotation"),
        ('{' + COCO_IMAGES + ', "annotations": {"a": 1}}', "annotations"),
        ('{"images": 3, "annotations": []}', "images"),
        ('{"images": [7], "annotations": []}', "image"),
        ('{' + COCO_IMAGES + ', "annotations": [{"id": 1, "image_id": 1, "bbox": [1, 2, -3, 4]}]}',
         "negative"),
        ('{' + COCO_IMAGES + ', "annotations": [{"id": 1, "image_id": 1, "bbox": [1, 2, 3, 4]}],'
         ' "categories": [5]}', "categor"),
        ('{"a.png": [[true, 0, 10, 10]]}', "number"),
        ('{"a.png": [[0, 0, 10, 1e400]]}', "finite"),
        ('{"a.png": [[0, 0, 10, 10]], "a.png": [[1, 1, 5, 5]]}', "duplicate key 'a.png'"),
        ('{"a.png": {"box": [0, 0, 1, 1]}}', "list of boxes"),
        ('{"a.png": [{"box": [0, 0, 1, 1], "label": ["x"]}]}', "label"),
        ("[" * 100_000 + "]" * 100_000, "JSON"),
        ("{\"a\": [[" + "9" * 5001 + ", 0, 1, 1]]}", "JSON"),
        ('[["a.png", 0, 0, 10, 10]]', "JSON list"),
        ("a.png," + "x" * 140_000 + ",0,1,1\n", "CSV line 1"),
        ("a.png,0,0,nan,5\n", "finite"),
        ("\x00\x01binary", "CSV"),
    ],
)
def test_malformed_box_files_are_one_line_errors(tmp_path: Path, text: str, msg: str) -> None:
    p = tmp_path / "boxes"
    p.write_text(text)
    with pytest.raises(BoxFileError) as info:
        read_boxes(p)
    message = str(info.value)
    assert msg in message
    assert "\n" not in message and len(message) < 400


def test_a_folder_or_undecodable_file_is_a_box_file_error(tmp_path: Path) -> None:
    with pytest.raises(BoxFileError, match="folder"):
        read_boxes(tmp_path)
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("é.png,0,0,1,1\n".encode("latin-1"))
    with pytest.raises(BoxFileError, match="UTF-8"):
        read_boxes(bad)


def test_valid_files_still_read(tmp_path: Path) -> None:
    p = tmp_path / "ok.json"
    p.write_text(json.dumps({"a.png": [[10, 5, 2, 1]], "b.png": [{"box": [0, 0, 3, 3], "label": "x"}]}))
    t = read_boxes(p)
    assert t["a.png"][0].box == (10, 5, 2, 1)  # corner order is the pipeline's business
    assert t["b.png"][0].label == "x"
