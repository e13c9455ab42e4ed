"""DISEvaluator aggregation, file pairing, parallel scoring and the skeleton cache."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from dis_annotator.metrics import COLUMNS, DISEvaluator, SkeletonCache, fmeasure_curve, gt_skeleton
from dis_annotator.metrics.batch import evaluate_pairs
from dis_annotator.metrics.layout import find_subsets, match_pairs


def _gt(shape=(48, 64), box=(10, 30, 12, 40)) -> np.ndarray:
    gt = np.zeros(shape, np.uint8)
    r0, r1, c0, c1 = box
    gt[r0:r1, c0:c1] = 255
    return gt


def test_results_average_curves_before_taking_the_max():
    ev = DISEvaluator()
    gt = _gt()
    soft_a = cv2.GaussianBlur(gt, (0, 0), 4)
    soft_b = (255 - soft_a).astype(np.uint8)
    ev.add(soft_a, gt, "a")
    ev.add(soft_b, gt, "b")
    res = ev.results()
    assert list(res)[:6] == list(COLUMNS) and res["n"] == 2
    curves = np.stack([fmeasure_curve(soft_a, gt), fmeasure_curve(soft_b, gt)])
    assert res["maxF"] == pytest.approx(curves.mean(0).max())
    assert res["maxF"] < curves.max(1).mean()  # the other order would score higher here
    rows = ev.rows
    assert [r["name"] for r in rows] == ["a", "b"]
    assert res["MAE"] == pytest.approx((rows[0]["MAE"] + rows[1]["MAE"]) / 2)
    assert res["HCE"] == pytest.approx((rows[0]["HCE"] + rows[1]["HCE"]) / 2)


def test_perfect_dataset_scores_perfectly():
    ev = DISEvaluator()
    for i in range(3):
        gt = _gt(box=(5 + i, 30, 8, 40 + i))
        ev.add(gt, gt)
    res = ev.results()
    assert res["maxF"] == pytest.approx(1.0)
    assert res["MAE"] == 0.0 and res["HCE"] == 0.0
    assert res["S"] == pytest.approx(1.0)
    assert res["wF"] == pytest.approx(1.0)


def test_empty_evaluator_reports_nan():
    res = DISEvaluator().results()
    assert res["n"] == 0 and np.isnan(res["maxF"])


def test_skeleton_cache_hits_on_second_use(tmp_path: Path):
    gt = _gt() > 128
    cache = SkeletonCache(tmp_path)
    first = cache.get(gt)
    second = SkeletonCache(tmp_path).get(gt)
    assert np.array_equal(first, gt_skeleton(gt))
    assert np.array_equal(first, second)
    assert cache.misses == 1
    assert len(list(tmp_path.rglob("*.png"))) == 1
    other = SkeletonCache(tmp_path)
    other.get(gt)
    assert other.hits == 1 and other.misses == 0


def _write(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), arr)


def test_folder_pairs_parallel_equals_serial_and_resizes(tmp_path: Path):
    root = tmp_path / "DIS5K"
    rng = np.random.default_rng(3)
    for sub in ("DIS-VD", "DIS-TE1"):
        for i in range(3):
            gt = _gt(box=(5 + i, 30 + i, 8, 40))
            _write(root / sub / "gt" / f"img{i}.png", gt)
            _write(root / sub / "im" / f"img{i}.jpg", rng.integers(0, 255, (48, 64, 3), np.uint8))
            pred = cv2.GaussianBlur(gt, (0, 0), 2)
            if i == 1:
                pred = cv2.resize(pred, (32, 24))  # half size: must be resized back
            _write(tmp_path / "pred" / sub / f"img{i}.png", pred)
    subsets = find_subsets(root)
    assert [s.name for s in subsets] == ["DIS-TE1", "DIS-VD"]
    assert subsets[0].im_dir == root / "DIS-TE1" / "im"
    pairs, missing = match_pairs(tmp_path / "pred" / "DIS-VD", subsets[1].gt_dir)
    assert [p[0] for p in pairs] == ["img0", "img1", "img2"] and missing == []
    serial, res1 = evaluate_pairs(pairs, workers=1, skeleton_dir=tmp_path / "ske")
    parallel, _ = evaluate_pairs(pairs, workers=2, skeleton_dir=tmp_path / "ske")
    assert serial.rows == parallel.rows
    assert [r.resized_from for r in res1] == [None, (24, 32), None]
    assert len(list((tmp_path / "ske").rglob("*.png"))) == 3


def test_bounding_box_skeleton_equals_whole_image_skeleton():
    from skimage.morphology import skeletonize

    rng = np.random.default_rng(5)
    for _ in range(20):
        g = np.zeros((60, 70), np.uint8)
        for _ in range(3):
            c = (int(rng.integers(-5, 75)), int(rng.integers(-5, 65)))
            cv2.circle(g, c, int(rng.integers(1, 20)), 1, -1)
        g = g.astype(bool)
        assert np.array_equal(gt_skeleton(g), skeletonize(g))
    assert not gt_skeleton(np.zeros((5, 5), bool)).any()
