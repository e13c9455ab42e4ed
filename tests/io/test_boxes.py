import json

import pytest

from dis_annotator.io.boxes import BoxFileError, read_boxes


def test_formats_detected_by_content(tmp_path):
    j = tmp_path / "x.txt"
    j.write_text(json.dumps({"a/b.jpg": [[1, 2, 3, 4]], "c.png": [1, 2, 3, 4],
                             "d.png": [{"box": [0, 0, 9, 9], "label": "cat"}]}))
    t = read_boxes(j)
    assert t["a/b.jpg"][0].box == (1, 2, 3, 4) and t["c.png"][0].box == (1, 2, 3, 4)
    assert t["d.png"][0].label == "cat"

    c = tmp_path / "coco"
    c.write_text(json.dumps({"images": [{"id": 7, "file_name": "q.jpg"}],
                             "annotations": [{"id": 1, "image_id": 7, "bbox": [10, 20, 30, 40], "category_id": 2}],
                             "categories": [{"id": 2, "name": "dog"}]}))
    t = read_boxes(c)
    assert t["q.jpg"][0].box == (10, 20, 40, 60) and t["q.jpg"][0].label == "dog"

    v = tmp_path / "v.json"  # extension lies: content is CSV
    v.write_text("z.jpg,1,2,3,4\nz.jpg,5,6,7,8,bike\n")
    t = read_boxes(v)
    assert [e.box for e in t["z.jpg"]] == [(1, 2, 3, 4), (5, 6, 7, 8)]
    assert t["z.jpg"][1].label == "bike"


@pytest.mark.parametrize("text,msg", [
    ("", "empty"),
    ("{", "invalid JSON"),
    ('{"a.jpg": [[1, 2, 3]]}', "must be"),
    ('{"a.jpg": [["x", 2, 3, 4]]}', "numbers"),
    ("a.jpg,1,2\n", "expected image"),
])
def test_errors(tmp_path, text, msg):
    p = tmp_path / "b"
    p.write_text(text)
    with pytest.raises(BoxFileError, match=msg):
        read_boxes(p)
    with pytest.raises(BoxFileError, match="not found"):
        read_boxes(tmp_path / "missing")
