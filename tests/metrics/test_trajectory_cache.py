"""The baseline's trajectory cache: exact hits, truncation from longer runs, stale files miss."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from dis_annotator.cli import main
from dis_annotator.metrics import grabcut_baseline
from dis_annotator.metrics.noc import run_protocol
from dis_annotator.metrics.trajectory_cache import TrajectoryCache, fingerprint, truncate


def _mask() -> np.ndarray:
    m = np.zeros((60, 80), np.uint8)
    cv2.circle(m, (40, 30), 15, 255, -1)
    m[10:14, 10:30] = 255  # a second part the box start misses
    return m


def _growing(box, clicks, state):
    """A deterministic toy segmenter: each click grows a disc around the object's centre."""
    out = np.zeros((60, 80), np.uint8)
    cv2.circle(out, (40, 30), 8 + 3 * len(clicks), 1, -1)
    return out.astype(bool), None


def _files(tmp_path: Path, mask: np.ndarray) -> tuple[Path, Path]:
    img, msk = tmp_path / "a.png", tmp_path / "a_mask.png"
    cv2.imwrite(str(img), np.full((60, 80, 3), 90, np.uint8))
    cv2.imwrite(str(msk), mask)
    return img, msk


def test_store_then_load_exact(tmp_path: Path):
    img, msk = _files(tmp_path, _mask())
    fp = fingerprint(img, msk)
    traj = run_protocol(_growing, _mask(), "box", 6, None, "a")
    cache = TrajectoryCache(tmp_path / "c", "toy-v1")
    assert cache.load("S", "a", "box", 6, None, fp) is None
    cache.store("S", "a", "box", 6, None, fp, traj)
    hit = cache.load("S", "a", "box", 6, None, fp)
    assert hit is not None and hit.cached
    assert [(s.clicks, s.iou, s.click) for s in hit.steps] == [(s.clicks, s.iou, s.click) for s in traj.steps]
    assert TrajectoryCache(tmp_path / "c", "toy-v2").load("S", "a", "box", 6, None, fp) is None
    assert cache.load("S", "a", "click", 6, None, fp) is None


@pytest.mark.parametrize(("cap", "stop"), [(3, None), (6, 0.5), (2, 0.99)])
def test_a_longer_stop_free_run_answers_smaller_caps_and_stops(tmp_path: Path, cap, stop):
    img, msk = _files(tmp_path, _mask())
    fp = fingerprint(img, msk)
    cache = TrajectoryCache(tmp_path, "toy")
    cache.store("S", "a", "box", 8, None, fp, run_protocol(_growing, _mask(), "box", 8, None, "a"))
    want = run_protocol(_growing, _mask(), "box", cap, stop, "a")
    got = cache.load("S", "a", "box", cap, stop, fp)
    assert got is not None
    assert [(s.clicks, s.iou) for s in got.steps] == [(s.clicks, s.iou) for s in want.steps]
    assert truncate(want, cap, stop).steps == want.steps
    # a shorter run cannot answer a longer cap
    assert cache.load("S", "a", "box", 9, None, fp) is None


def test_changed_files_miss(tmp_path: Path):
    img, msk = _files(tmp_path, _mask())
    cache = TrajectoryCache(tmp_path, "toy")
    cache.store("S", "a", "box", 4, None, fingerprint(img, msk), run_protocol(_growing, _mask(), "box", 4))
    changed = _mask()
    changed[50:55, 5:10] = 255
    cv2.imwrite(str(msk), changed)
    assert cache.load("S", "a", "box", 4, None, fingerprint(img, msk)) is None


def _benchmark(root: Path) -> None:
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir(parents=True)
    rng = np.random.default_rng(0)
    img = rng.normal(100, 10, (50, 70, 3)).clip(0, 255).astype(np.uint8)
    mask = np.zeros((50, 70), np.uint8)
    cv2.circle(mask, (35, 25), 12, 255, -1)
    img[mask > 0] = (200, 40, 40)
    cv2.imwrite(str(root / "images" / "o0.png"), img[:, :, ::-1])
    cv2.imwrite(str(root / "masks" / "o0.png"), mask)


def test_eval_reuses_the_baseline_cache(tmp_path: Path, capsys, monkeypatch):
    _benchmark(tmp_path / "Drawn")
    args = ["eval", "--clicks", "2", "--data", str(tmp_path / "Drawn"), "--engine", "classical",
            "--baseline", "--baseline-cache", str(tmp_path / "cache")]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "from the baseline cache" not in first
    assert list((tmp_path / "cache").rglob("o0.cap2.stopnone.json"))

    def refuse(*_a, **_k):
        raise AssertionError("the baseline ran although its trajectory was cached")

    monkeypatch.setattr(grabcut_baseline, "plain_grabcut", refuse)
    assert main(args) == 0
    second = capsys.readouterr().out
    assert "opencv-grabcut: 1 trajectories from the baseline cache" in second
    row = [line for line in first.splitlines() if line.startswith("opencv-grabcut  ")]
    again = [line for line in second.splitlines() if line.startswith("opencv-grabcut  ")]
    strip = lambda line: line.split()[:-2]  # noqa: E731 — the ms columns may differ
    assert row and [strip(r) for r in row] == [strip(r) for r in again]
