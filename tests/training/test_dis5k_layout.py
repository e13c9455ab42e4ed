"""DIS5K layout discovery, GT enrichment into components, component boxes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from dis_annotator.training.dis5k import (
    DatasetError,
    binarize_gt,
    coarse_path,
    component_box,
    enrich_components,
    list_pairs,
    read_coarse,
)


def _touch_pair(root: Path, subset: str, stem: str, im_suffix: str = ".jpg") -> None:
    (root / subset / "im").mkdir(parents=True, exist_ok=True)
    (root / subset / "gt").mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(root / subset / "im" / f"{stem}{im_suffix}"), np.zeros((8, 8, 3), np.uint8))
    cv2.imwrite(str(root / subset / "gt" / f"{stem}.png"), np.zeros((8, 8), np.uint8))


def test_list_pairs_matches_by_stem_sorted(tmp_path: Path) -> None:
    for stem in ("b", "a", "c"):
        _touch_pair(tmp_path, "DIS-TE2", stem, ".jpg" if stem != "c" else ".png")
    (tmp_path / "DIS-TE2" / "im" / ".DS_Store").write_bytes(b"x")
    (tmp_path / "DIS-TE2" / "im" / "notes.txt").write_text("x")
    pairs = list_pairs(tmp_path, "DIS-TE2")
    assert [(i.name, g.name) for i, g in pairs] == [
        ("a.jpg", "a.png"), ("b.jpg", "b.png"), ("c.png", "c.png"),
    ]


def test_list_pairs_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="unknown subset"):
        list_pairs(tmp_path, "DIS-XX")
    with pytest.raises(DatasetError, match="does not exist"):
        list_pairs(tmp_path / "nope", "DIS-TR")
    _touch_pair(tmp_path, "DIS-VD", "x")
    with pytest.raises(DatasetError, match="subsets under .*DIS-VD"):
        list_pairs(tmp_path, "DIS-TR")
    _touch_pair(tmp_path, "DIS-TR", "a")
    cv2.imwrite(str(tmp_path / "DIS-TR" / "im" / "lonely.jpg"), np.zeros((4, 4, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "DIS-TR" / "gt" / "orphan.png"), np.zeros((4, 4), np.uint8))
    with pytest.raises(DatasetError, match="1 image\\(s\\) without GT .*lonely.*orphan"):
        list_pairs(tmp_path, "DIS-TR")
    (tmp_path / "DIS-TE1" / "im").mkdir(parents=True)
    with pytest.raises(DatasetError, match="gt not found"):
        list_pairs(tmp_path, "DIS-TE1")
    (tmp_path / "DIS-TE1" / "gt").mkdir()
    with pytest.raises(DatasetError, match="no images"):
        list_pairs(tmp_path, "DIS-TE1")
    _touch_pair(tmp_path, "DIS-TE3", "d", ".jpg")
    _touch_pair(tmp_path, "DIS-TE3", "d", ".png")
    with pytest.raises(DatasetError, match="share the stem"):
        list_pairs(tmp_path, "DIS-TE3")


def _three_parts() -> np.ndarray:
    gt = np.zeros((100, 100), np.uint8)
    gt[5:30, 5:30] = 255  # 625 px
    gt[60:90, 60:61] = 255  # 30 px: a thin line
    gt[61:89, 61:62] = 255  # touches the line diagonally-adjacent → same 8-component
    gt[50:52, 5:7] = 255  # 4 px: under 0.4 % of 10 000 → dropped as a sample
    return gt


def test_enrichment_whole_plus_components_tiny_dropped() -> None:
    gt = _three_parts()
    samples = enrich_components(gt)
    assert len(samples) == 3  # whole + square + the diagonal-joined line pair
    whole, square, line = samples
    np.testing.assert_array_equal(whole, gt > 0)  # the whole GT keeps the tiny piece
    assert square.sum() == 625 and component_box(square) == (5, 5, 30, 30)
    assert line.sum() == 30 + 28 and component_box(line) == (60, 60, 62, 90)
    assert all(s.dtype == bool and s.shape == gt.shape for s in samples)


def test_enrichment_single_component_and_empty() -> None:
    gt = np.zeros((50, 50), bool)
    gt[10:20, 10:20] = True
    gt[40, 40] = True  # tiny: ignored, so only one component remains → whole GT alone
    samples = enrich_components(gt)
    assert len(samples) == 1 and np.array_equal(samples[0], gt)
    assert enrich_components(np.zeros((10, 10), np.uint8)) == []
    # min_fraction 0 makes the single pixel a sample of its own
    assert len(enrich_components(gt, min_fraction=0.0)) == 3


def test_binarize_and_box_conventions(tmp_path: Path) -> None:
    assert binarize_gt(np.array([[0, 1]], np.uint8)).tolist() == [[False, True]]
    assert binarize_gt(np.array([[0, 127, 128, 255]], np.uint8)).tolist() == [
        [False, False, True, True]
    ]
    with pytest.raises(ValueError):
        component_box(np.zeros((4, 4), bool))
    p = coarse_path(tmp_path, "DIS-TR", "img7", 2)
    assert p == tmp_path / "DIS-TR" / "coarse" / "img7_2.png"
    p.parent.mkdir(parents=True)
    cv2.imwrite(str(p), np.array([[0, 255, 128]], np.uint8))
    np.testing.assert_allclose(read_coarse(p), [[0.0, 1.0, 128 / 255]], rtol=1e-6)
