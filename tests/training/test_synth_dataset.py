"""write_dataset: DIS5K layout, split counts, determinism, manifest."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from dis_annotator.training.synth import split_counts, write_dataset


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_layout_counts_and_pairs(tmp_path: Path) -> None:
    counts = write_dataset(tmp_path, 10, seed=3, size=(96, 80))
    assert counts == {"DIS-TR": 8, "DIS-VD": 1, "DIS-TE1": 1}
    stems = []
    for split, n in counts.items():
        ims = sorted(p.stem for p in (tmp_path / split / "im").glob("*.jpg"))
        gts = sorted(p.stem for p in (tmp_path / split / "gt").glob("*.png"))
        assert ims == gts and len(ims) == n
        stems += ims
    assert len(set(stems)) == 10
    gt = cv2.imread(str(next((tmp_path / "DIS-TR" / "gt").glob("*.png"))), cv2.IMREAD_UNCHANGED)
    im = cv2.imread(str(next((tmp_path / "DIS-TR" / "im").glob("*.jpg"))))
    assert gt.shape == (80, 96) and set(gt.ravel().tolist()) <= {0, 255}
    assert im.shape == (80, 96, 3)
    manifest = json.loads((tmp_path / "synth.json").read_text())
    assert manifest["seed"] == 3 and manifest["splits"] == counts
    assert set(manifest["samples"]) == set(stems)
    rec = manifest["samples"][stems[0]]
    assert {"split", "kind", "box", "background"} <= set(rec)


def test_rejects_non_dis5k_subset_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown subsets"):
        write_dataset(tmp_path, 2, splits={"train": 1.0})


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    write_dataset(tmp_path / "a", 4, seed=11, size=(64, 64), splits={"DIS-TR": 1.0})
    write_dataset(tmp_path / "b", 4, seed=11, size=(64, 64), splits={"DIS-TR": 1.0})
    write_dataset(tmp_path / "c", 4, seed=12, size=(64, 64), splits={"DIS-TR": 1.0})
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert _files(tmp_path / "a") != _files(tmp_path / "c")
    # worker processes write exactly the same files
    write_dataset(tmp_path / "d", 4, seed=11, size=(64, 64), splits={"DIS-TR": 1.0}, workers=2)
    assert _files(tmp_path / "a") == _files(tmp_path / "d")


def test_split_counts() -> None:
    # largest remainders: 5.6 / 0.7 / 0.7 → 5 / 1 / 1
    assert split_counts(7, {"DIS-TR": 0.8, "DIS-VD": 0.1, "DIS-TE1": 0.1}) == {
        "DIS-TR": 5, "DIS-VD": 1, "DIS-TE1": 1,
    }
    assert split_counts(5, {"A": 1, "B": 1, "C": 2}) == {"A": 1, "B": 1, "C": 3}
    assert split_counts(0, {"DIS-TR": 1.0}) == {"DIS-TR": 0}
    with pytest.raises(ValueError):
        split_counts(5, {"A": -1.0})
    with pytest.raises(ValueError):
        split_counts(-1, {"A": 1.0})
