"""Scoring pairs of mask files, in parallel worker processes, with cached GT skeletons."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dis_annotator.metrics.evaluator import DISEvaluator, ImageScores, score_image
from dis_annotator.metrics.skeleton import SkeletonCache


class MaskReadError(OSError):
    """A prediction or GT file that cannot be read as an image."""


def read_gray(path: Path) -> np.ndarray:
    """H×W uint8 grey map of an image file (colour is converted, 16-bit scaled to 8-bit)."""
    arr = cv2.imdecode(np.fromfile(str(path), dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if arr is None:
        raise MaskReadError(f"cannot read {path} as an image")
    return arr


def fit_to(pred: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``pred`` resized (bilinear) to ``shape`` = (H, W) when it differs."""
    if pred.shape == shape:
        return pred
    return cv2.resize(pred, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


@dataclass
class PairResult:
    """One file pair: its scores, or ``error`` (a sentence) when it could not be scored.

    ``resized_from`` is the prediction's original (H, W) when it was resized.
    """

    name: str
    scores: ImageScores | None = None
    resized_from: tuple[int, int] | None = None
    error: str | None = None


@dataclass(frozen=True)
class _Job:
    name: str
    pred: Path
    gt: Path
    skeleton_dir: Path | None
    relax: int
    epsilon: float


def _score_job(job: _Job) -> PairResult:
    try:
        gt = read_gray(job.gt)
        pred = read_gray(job.pred)
    except MaskReadError as exc:
        return PairResult(job.name, error=str(exc))
    resized = pred.shape if pred.shape != gt.shape else None
    pred = fit_to(pred, gt.shape)
    skeleton = SkeletonCache(job.skeleton_dir).get(gt > 128)
    scores = score_image(pred, gt, job.name, skeleton, job.relax, job.epsilon)
    return PairResult(job.name, scores, resized)


def evaluate_pairs(
    pairs: Sequence[tuple[str, Path, Path]],
    workers: int = 1,
    skeleton_dir: Path | None = None,
    relax: int = 5,
    epsilon: float = 2.0,
    on_result: Callable[[PairResult], None] | None = None,
) -> tuple[DISEvaluator, list[PairResult]]:
    """Score ``(name, pred_path, gt_path)`` pairs; results keep the input order.

    Unreadable files give a :class:`PairResult` with ``error`` set and are left out of
    the evaluator.

    ``workers`` > 1 uses that many processes (spawned, so it is safe next to torch and
    Qt). ``skeleton_dir`` caches GT skeletons across runs (None: compute each time).
    """
    jobs = [_Job(n, Path(p), Path(g), skeleton_dir, relax, epsilon) for n, p, g in pairs]
    results: list[PairResult] = []
    for res in _map(jobs, workers):
        results.append(res)
        if on_result is not None:
            on_result(res)
    ev = DISEvaluator(relax=relax, epsilon=epsilon)
    for res in results:
        if res.scores is not None:
            ev.add_scores(res.scores)
    return ev, results


def _init_worker() -> None:
    # one OpenCV thread per process: the processes are the parallelism
    cv2.setNumThreads(1)


def _map(jobs: list[_Job], workers: int) -> Iterable[PairResult]:
    workers = max(1, min(workers, len(jobs), os.cpu_count() or 1))
    if workers == 1:
        yield from map(_score_job, jobs)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker) as pool:
        yield from pool.map(_score_job, jobs, chunksize=max(1, len(jobs) // (workers * 8)))
