"""``dis-annotator eval`` end to end on tiny DIS5K-like folders (in-process CLI)."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from dis_annotator.cli import main
from dis_annotator.cli.eval import parse_checkpoints


def _scene(i: int) -> tuple[np.ndarray, np.ndarray]:
    """A 72x96 noisy grey image with a saturated object (block + bar), and its GT."""
    rng = np.random.default_rng(i)
    img = rng.normal(90, 12, (72, 96, 3)).clip(0, 255).astype(np.uint8)
    gt = np.zeros((72, 96), np.uint8)
    gt[15 + i : 50, 20:60 + i] = 255
    gt[30:34, 60:88] = 255
    img[gt > 0] = (210, 60, 30)
    return img, gt


def _write(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), arr)


def _dataset(root: Path, subsets=("DIS-VD",), n: int = 2) -> Path:
    for s in subsets:
        for i in range(n):
            img, gt = _scene(i)
            _write(root / s / "im" / f"s{i}.jpg", img[:, :, ::-1])
            _write(root / s / "gt" / f"s{i}.png", gt)
    return root


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_parse_checkpoints():
    assert parse_checkpoints("5") == [0, 1, 2, 5]
    assert parse_checkpoints("3") == [0, 1, 2, 3]
    assert parse_checkpoints("0,2,1") == [0, 1, 2]
    with pytest.raises(ValueError):
        parse_checkpoints("a")


def test_folders_dis5k_root_one_row_per_subset(tmp_path: Path, capsys):
    root = _dataset(tmp_path / "DIS5K", ("DIS-VD", "DIS-TE1", "DIS-TE2"))
    pred = tmp_path / "pred"
    for s in ("DIS-VD", "DIS-TE1", "DIS-TE2"):
        for i in range(2):
            gt = _scene(i)[1]
            if s == "DIS-TE2" and i == 1:
                gt = cv2.resize(gt, (48, 36), interpolation=cv2.INTER_NEAREST)
            _write(pred / s / f"s{i}.png", gt)
    out_csv = tmp_path / "rows.csv"
    code = main(["eval", "--pred", str(pred), "--gt", str(root), "--csv", str(out_csv),
                 "--skeleton-cache", str(tmp_path / "ske")])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("set"))
    cols = header.split()
    assert cols[2:] == ["maxF↑", "wF↑", "MAE↓", "S↑", "meanE↑", "HCE↓"]
    table = {line.split()[0]: line.split() for line in lines if line.startswith("DIS-") and ":" not in line}
    assert set(table) == {"DIS-TE1", "DIS-TE2", "DIS-VD", "DIS-TE"}
    te1 = table["DIS-TE1"]
    assert te1[1] == "2" and te1[2] == "1.000" and te1[4] == "0.000" and te1[-1] == "0"
    assert table["DIS-TE"][1] == "(all)" and table["DIS-TE"][2] == "4"
    assert "resized" in out and "s1 was 48x36" in out
    rows = _csv(out_csv)
    assert len(rows) == 6 and {r["subset"] for r in rows} == {"DIS-VD", "DIS-TE1", "DIS-TE2"}
    assert float(rows[0]["MAE"]) == 0.0


def test_folders_missing_prediction_is_reported(tmp_path: Path, capsys):
    root = _dataset(tmp_path / "data", n=2)
    _write(tmp_path / "pred" / "s0.png", _scene(0)[1])
    code = main(["eval", "--pred", str(tmp_path / "pred"), "--gt", str(root / "DIS-VD"),
                 "--no-skeleton-cache"])
    captured = capsys.readouterr()
    assert code == 1
    assert "1 GT masks have no prediction" in captured.err
    assert "DIS-VD" in captured.out


def test_usage_errors(tmp_path: Path):
    assert main(["eval"]) == 2
    assert main(["eval", "--pred", str(tmp_path)]) == 2
    assert main(["eval", "--run"]) == 2
    assert main(["eval", "--clicks", "x", "--data", str(tmp_path)]) == 2


def test_run_classical_pipeline_with_component_boxes(tmp_path: Path, capsys):
    root = _dataset(tmp_path / "data", n=2)
    out_csv = tmp_path / "run.csv"
    code = main(["eval", "--run", "--data", str(root / "DIS-VD"), "--engine", "classical",
                 "--refiner", "classical", "--boxes", "component", "--csv", str(out_csv),
                 "--save-pred", str(tmp_path / "maps"), "--no-skeleton-cache"])
    out = capsys.readouterr().out
    assert code == 0
    assert "pipeline: coarse=grabcut" in out
    # one connected object per image → one box each → 2 requests
    assert "coarse (grabcut): median" in out and "(2 runs)" in out
    assert "refine (guided-filter)" in out
    rows = _csv(out_csv)
    assert [r["name"] for r in rows] == ["s0", "s1"]
    # a saturated object on grey noise: the classical pipeline must get it nearly right
    assert all(float(r["maxF"]) > 0.9 for r in rows)
    assert sorted(p.name for p in (tmp_path / "maps" / "DIS-VD").iterdir()) == ["s0.png", "s1.png"]


def _hard_dataset(root: Path) -> Path:
    """Objects with a background-coloured part that a box alone does not recover."""
    for i in range(2):
        img, gt = _scene(i)
        gt[15:50, 60:80] = 255
        img[20:45, 62:78] = (95, 95, 95)
        _write(root / "DIS-VD" / "im" / f"h{i}.png", img[:, :, ::-1])
        _write(root / "DIS-VD" / "gt" / f"h{i}.png", gt)
    return root


def test_clicks_protocol_feeds_clicks_back_and_is_reproducible(tmp_path: Path, capsys):
    root = _hard_dataset(tmp_path / "data")
    args = ["eval", "--clicks", "0,1,3", "--data", str(root), "--engine", "classical",
            "--refiner", "none", "--binary", "--seed", "4", "--no-skeleton-cache"]
    assert main([*args, "--csv", str(tmp_path / "a.csv")]) == 0
    out = capsys.readouterr().out
    assert "after 0 clicks:" in out and "after 1 click:" in out and "after 3 clicks:" in out
    # per image: the box request plus one request per click round (2 rounds)
    assert "coarse (grabcut): median" in out and "(6 runs)" in out
    assert main([*args, "--csv", str(tmp_path / "b.csv")]) == 0
    a, b = _csv(tmp_path / "a.csv"), _csv(tmp_path / "b.csv")
    assert a == b
    assert [(r["name"], r["clicks"]) for r in a] == [
        ("h0", "0"), ("h0", "1"), ("h0", "3"), ("h1", "0"), ("h1", "1"), ("h1", "3")
    ]
    # the clicked predictions are new masks, not the box result re-scored
    assert a[0]["MAE"] != a[2]["MAE"] and a[3]["MAE"] != a[5]["MAE"]
