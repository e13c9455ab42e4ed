"""Per-metric time per image at 1024² and 2048² on DIS-like synthetic masks.

Run: python benchmarks/metrics_speed.py [--sizes 1024 2048] [--images 5] [--folder 8]
Prints milliseconds per image (mean and median over the images) for each measure, the
GT skeleton (HCE's slow, cacheable part), HCE with a cached skeleton and HCE from scratch;
with ``--folder N`` also the wall time of ``evaluate_pairs`` over N 1024² PNG pairs with
1 and 2 worker processes, with a cold and a warm skeleton cache.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dis_annotator.metrics import (  # noqa: E402
    emeasure_curve,
    fmeasure_curve,
    gt_skeleton,
    hce,
    mae,
    s_measure,
    score_image,
    weighted_fmeasure,
)


def dis_like_pair(size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A GT with solid parts and thin wires, and a 'reasonable' soft prediction of it."""
    rng = np.random.default_rng(seed)
    gt = np.zeros((size, size), np.uint8)
    s = size / 1024
    for _ in range(6):
        c = tuple(int(v) for v in rng.integers(size // 5, 4 * size // 5, 2))
        axes = tuple(int(v * s) for v in rng.integers(40, 180, 2))
        cv2.ellipse(gt, c, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
    for _ in range(40):  # wires 1-4 px wide
        p0 = tuple(int(v) for v in rng.integers(0, size, 2))
        p1 = tuple(int(v) for v in rng.integers(0, size, 2))
        cv2.line(gt, p0, p1, 255, int(rng.integers(1, 5)))
    # prediction: slightly shifted and blurred, some wires lost, a few false blobs
    pred = np.roll(gt, (int(rng.integers(-2, 3)), int(rng.integers(-2, 3))), axis=(0, 1))
    pred = cv2.erode(pred, np.ones((2, 2), np.uint8))
    for _ in range(5):
        c = tuple(int(v) for v in rng.integers(0, size, 2))
        cv2.circle(pred, c, int(rng.integers(5, 30) * s), 255, -1)
    pred = cv2.GaussianBlur(pred, (0, 0), 1.5 * s)
    return pred, gt


def timed(fn, *args, **kw) -> float:
    t0 = time.perf_counter()
    fn(*args, **kw)
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048])
    ap.add_argument("--images", type=int, default=5)
    ap.add_argument("--folder", type=int, default=0, metavar="N")
    args = ap.parse_args()
    cv2.setNumThreads(1)  # per-image cost on one core; parallelism comes from --workers
    print(f"ms per image, {args.images} images per size, one thread (cv2.setNumThreads(1))")
    for size in args.sizes:
        times: dict[str, list[float]] = {}
        for i in range(args.images):
            pred, gt = dis_like_pair(size, i)
            g = gt > 128
            ske = gt_skeleton(g)
            steps = [
                ("fmeasure_curve", fmeasure_curve, (pred, gt), {}),
                ("emeasure_curve", emeasure_curve, (pred, gt), {}),
                ("weighted_fmeasure", weighted_fmeasure, (pred, gt), {}),
                ("s_measure", s_measure, (pred, gt), {}),
                ("mae", mae, (pred, gt), {}),
                ("gt skeleton", gt_skeleton, (g,), {}),
                ("hce (cached skeleton)", hce, (pred, gt), {"skeleton": ske}),
                ("hce (with skeleton)", hce, (pred, gt), {}),
                ("all six (cached skeleton)", score_image, (pred, gt), {"skeleton": ske}),
            ]
            for name, fn, fn_args, fn_kw in steps:
                times.setdefault(name, []).append(timed(fn, *fn_args, **fn_kw))
        print(f"\n{size}x{size}:")
        for name, ms in times.items():
            print(f"  {name:28s} mean {statistics.mean(ms):8.1f}  median {statistics.median(ms):8.1f}")
        pred, gt = dis_like_pair(size, 0)
        print(f"  (example HCE of the synthetic prediction: {hce(pred, gt)})")
    if args.folder:
        folder_eval(args.folder)


def folder_eval(n: int) -> None:
    import tempfile

    from dis_annotator.metrics.batch import evaluate_pairs

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pairs = []
        for i in range(n):
            pred, gt = dis_like_pair(1024, 100 + i)
            cv2.imwrite(str(root / f"p{i}.png"), pred)
            cv2.imwrite(str(root / f"g{i}.png"), gt)
            pairs.append((f"{i}", root / f"p{i}.png", root / f"g{i}.png"))
        print(f"\nfolder evaluation, {n} pairs at 1024x1024 (wall time per image):")
        for workers in (1, 2):
            cache = root / f"ske{workers}"
            for label in ("cold cache", "warm cache"):
                t0 = time.perf_counter()
                evaluate_pairs(pairs, workers=workers, skeleton_dir=cache)
                ms = (time.perf_counter() - t0) * 1000 / n
                print(f"  workers={workers} {label:10s} {ms:8.1f} ms/image")


if __name__ == "__main__":
    main()
