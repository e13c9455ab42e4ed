"""``segment --report FILE.csv`` and ``--uncertainty`` (issue 15)."""

from __future__ import annotations

import csv
import json

import numpy as np
from PIL import Image

from dis_annotator.cli import main
from tests.synthetic import two_tone_blob


def test_report_rows_and_uncertainty_png(tmp_path):
    img, truth, box = two_tone_blob()
    Image.fromarray(img).save(tmp_path / "a.png")
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({"a.png": [list(box), [490, 130, 630, 270]]}))
    out, report = tmp_path / "out", tmp_path / "report.csv"
    rc = main(["segment", str(tmp_path / "a.png"), "--boxes", str(boxes), "--out", str(out),
               "--engine", "classical", "--report", str(report), "--uncertainty", "--no-progress"])
    assert rc == 0
    rows = list(csv.DictReader(report.open()))
    assert [r["object"] for r in rows] == ["1", "2"] and {r["image"] for r in rows} == {"a.png"}
    first = rows[0]
    assert abs(int(first["area_px"]) - int(truth.sum())) < 0.1 * truth.sum()
    assert float(first["effort"]) >= 0 and 0 <= float(first["uncertain_share"]) <= 1
    assert "coarse=grabcut" in first["stages"] and "refine=" in first["stages"]
    u = np.asarray(Image.open(out / "a_uncertainty.png"))
    assert u.shape == truth.shape and u.dtype == np.uint8
    x0, y0, x1, y1 = (int(v) for v in box)
    outside = np.ones(truth.shape, bool)
    outside[y0:y1, x0:x1] = False
    outside[130:270, 490:630] = False
    assert u[outside].max() == 0  # nothing of an object lies outside its box


def test_report_to_a_folder_is_a_usage_error(tmp_path):
    img, _, box = two_tone_blob()
    Image.fromarray(img).save(tmp_path / "a.png")
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({"a.png": [list(box)]}))
    rc = main(["segment", str(tmp_path / "a.png"), "--boxes", str(boxes), "--out",
               str(tmp_path / "out"), "--report", str(tmp_path), "--no-progress"])
    assert rc == 2
