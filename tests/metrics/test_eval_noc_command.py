"""``dis-annotator eval --clicks K`` on a drawn images/ + masks/ benchmark (in-process CLI)."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

from dis_annotator.cli import main
from dis_annotator.metrics.grabcut_baseline import plain_grabcut
from dis_annotator.metrics.noc import Click, benchmark_box, split_target


def _scene(i: int) -> tuple[np.ndarray, np.ndarray]:
    """A 60x80 noisy background with a red disc; the mask has a 128 band on its rim."""
    rng = np.random.default_rng(i)
    img = rng.normal(100, 10, (60, 80, 3)).clip(0, 255).astype(np.uint8)
    mask = np.zeros((60, 80), np.uint8)
    cv2.circle(mask, (38 + i, 30), 14, 255, -1)
    img[mask > 0] = (200, 40, 40)
    cv2.circle(mask, (38 + i, 30), 14, 128, 1)
    return img, mask


def _benchmark(root: Path, n: int = 2) -> Path:
    for i in range(n):
        img, mask = _scene(i)
        (root / "images").mkdir(parents=True, exist_ok=True)
        (root / "masks").mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(root / "images" / f"o{i}.jpg"), img[:, :, ::-1])
        assert cv2.imwrite(str(root / "masks" / f"o{i}.png"), mask)
    return root


def test_plain_grabcut_honours_seeds():
    img, mask = _scene(0)
    fg, valid = split_target(mask)
    box = benchmark_box(fg)
    out = plain_grabcut(img, box, [])
    assert (out & fg).sum() / max(1, (out | fg).sum()) > 0.8
    out = plain_grabcut(img, box, [Click(38, 30, False)])
    assert not out[30, 38]
    assert not out[:, :box[0]].any()  # nothing outside the box


def test_eval_clicks_on_benchmark_layout_side_by_side(tmp_path: Path, capsys):
    root = _benchmark(tmp_path / "sets" / "Drawn")
    out_csv = tmp_path / "traj.csv"
    code = main(["eval", "--clicks", "3", "--data", str(tmp_path / "sets"), "--engine", "classical",
                 "--baseline", "--start", "both", "--csv", str(out_csv)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "Drawn, box start:" in text and "Drawn, click start:" in text
    assert "dis-annotator" in text and "opencv-grabcut" in text and "NoC@90" in text
    assert "targets: NoC@90" in text
    with open(out_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["pipeline"] for r in rows} == {"dis-annotator", "opencv-grabcut"}
    assert {r["start"] for r in rows} == {"box", "click"}
    box_rows = [r for r in rows if r["start"] == "box" and r["clicks"] == "0"]
    assert len(box_rows) == 4 and all(float(r["iou"]) > 0.5 for r in box_rows)
    clicks = [r for r in rows if r["x"] != ""]
    _, mask = _scene(0)
    for r in clicks:  # never on the ignored rim
        if r["name"] == "o0":
            assert mask[int(r["y"]), int(r["x"])] != 128
    assert root.is_dir()


def test_eval_clicks_reports_a_broken_pair(tmp_path: Path, capsys):
    root = _benchmark(tmp_path / "B", n=1)
    assert cv2.imwrite(str(root / "masks" / "o0.png"), np.zeros((10, 10), np.uint8))
    code = main(["eval", "--clicks", "2", "--data", str(root), "--engine", "classical"])
    assert code == 1
    assert "error: o0" in capsys.readouterr().out
