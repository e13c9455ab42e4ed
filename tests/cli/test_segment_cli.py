import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dis_annotator.cli import main
from dis_annotator.io import rle_to_mask
from tests.synthetic import iou, two_tone_blob

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("imgs")
    img, truth, box = two_tone_blob()
    Image.fromarray(img).save(root / "a.png")
    (root / "sub").mkdir()
    Image.fromarray(img[:, ::-1].copy()).save(root / "sub" / "b.jpg", quality=95)
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg")
    mirrored = (800 - box[2], box[1], 800 - box[0], box[3])
    return root, truth, box, mirrored


def _run(args):
    return main(["segment", *map(str, args), "--no-progress"])


def test_json_boxes_end_to_end(data, tmp_path):
    root, truth, box, mirrored = data
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({"a.png": [list(box), [490, 130, 630, 270]], "sub/b.jpg": [list(mirrored)]}))
    out = tmp_path / "out"
    coco = tmp_path / "coco.json"
    rc = _run([root / "a.png", root / "sub", "--boxes", boxes, "--out", out,
               "--per-object", "--cutout", "--coco", coco, "--engine", "classical"])
    assert rc == 0
    union = np.asarray(Image.open(out / "a.png"))
    assert union.shape == (600, 800) and set(np.unique(union)) <= {0, 255}
    obj1 = np.asarray(Image.open(out / "a_obj1.png")) > 127
    assert iou(obj1, truth) > 0.9
    assert (out / "a_obj2.png").exists() and (out / "a_cutout.png").exists()
    assert np.asarray(Image.open(out / "a_obj1_cutout.png")).shape == (600, 800, 4)
    assert (out / "b.png").exists()  # a file named in INPUT: relative to its folder
    data_coco = json.loads(coco.read_text())
    assert len(data_coco["images"]) == 2 and len(data_coco["annotations"]) == 3
    ann = data_coco["annotations"][0]
    assert np.array_equal(rle_to_mask(ann["segmentation"]), obj1)


def test_folder_input_coco_and_csv_boxes_resume_and_overwrite(data, tmp_path):
    root, truth, box, mirrored = data
    x0, y0, x1, y1 = box
    coco_in = tmp_path / "in.json"
    coco_in.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.png"}, {"id": 2, "file_name": "sub/b.jpg"}],
        "annotations": [{"id": 1, "image_id": 1, "bbox": [x0, y0, x1 - x0, y1 - y0], "category_id": 1}],
        "categories": [{"id": 1, "name": "thing"}],
    }))
    out = tmp_path / "o1"
    assert _run([root, "--boxes", coco_in, "--out", out, "--engine", "classical"]) == 0
    assert (out / "a.png").exists() and not (out / "sub" / "b.png").exists()

    csv_in = tmp_path / "b.csv"
    csv_in.write_text(f"image,x0,y0,x1,y1,label\na.png,{x0},{y0},{x1},{y1},blob\n"
                      f"sub/b.jpg,{','.join(map(str, mirrored))},blob\n")
    out2 = tmp_path / "o2"
    assert _run([root, "--boxes", csv_in, "--out", out2, "--engine", "classical"]) == 0
    assert (out2 / "sub" / "b.png").exists()
    stamp = (out2 / "a.png").stat().st_mtime_ns
    (out2 / "sub" / "b.png").unlink()  # as if interrupted before b
    assert _run([root, "--boxes", csv_in, "--out", out2, "--engine", "classical"]) == 0
    assert (out2 / "a.png").stat().st_mtime_ns == stamp  # skipped: outputs exist
    assert (out2 / "sub" / "b.png").exists()  # resumed
    assert _run([root, "--boxes", csv_in, "--out", out2, "--overwrite", "--engine", "classical"]) == 0
    assert (out2 / "a.png").stat().st_mtime_ns != stamp


def test_failures_exit_1_and_others_still_written(data, tmp_path, capsys):
    root, _, box, _ = data
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({"a.png": [list(box)], "broken.jpg": [[0, 0, 10, 10]],
                                 "sub/b.jpg": [[5000, 5000, 6000, 6000]]}))
    out = tmp_path / "out"
    assert _run([root, "--boxes", boxes, "--out", out, "--engine", "classical"]) == 1
    err = capsys.readouterr().err
    assert "failed: broken.jpg:" in err and "failed: sub/b.jpg: box 1" in err
    assert (out / "a.png").exists()
    assert not (out / "broken.png").exists() and not (out / "sub" / "b.png").exists()


def test_usage_errors_exit_2(data, tmp_path, capsys):
    root, *_ = data
    assert main(["segment", str(root), "--out", str(tmp_path)]) == 2  # --boxes missing
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert _run([root, "--boxes", bad, "--out", tmp_path / "o"]) == 2
    assert "invalid JSON" in capsys.readouterr().err
    assert _run([tmp_path / "nope", "--boxes", bad, "--out", tmp_path / "o"]) == 2
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"zzz.png": [[0, 0, 5, 5]]}))
    assert _run([root, "--boxes", other, "--out", tmp_path / "o"]) == 2


def test_entry_point_runs_bundled_samples(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    samples = REPO / "resources" / "samples"
    proc = subprocess.run(
        [sys.executable, "-m", "dis_annotator", "segment", str(samples), "--boxes",
         str(samples / "boxes.json"), "--out", str(tmp_path), "--no-progress", "--engine", "classical"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "classical" in proc.stderr and "3 written" in proc.stderr
    for stem in ("astronaut", "coffee", "wheel"):
        assert np.asarray(Image.open(tmp_path / f"{stem}.png")).any()


def test_same_stem_images_do_not_overwrite_each_other(tmp_path, capsys):
    img, _, box = two_tone_blob()
    Image.fromarray(img).save(tmp_path / "a.png")
    Image.fromarray(img).save(tmp_path / "a.jpg")
    boxes = tmp_path / "b.json"
    boxes.write_text(json.dumps({"a.png": [list(box)], "a.jpg": [list(box)]}))
    assert _run([tmp_path / "a.jpg", tmp_path / "a.png", "--boxes", boxes, "--out", tmp_path / "o",
                 "--engine", "classical"]) == 1
    assert "would overwrite a.jpg's" in capsys.readouterr().err
    assert (tmp_path / "o" / "a.png").exists()
