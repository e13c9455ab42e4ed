"""Click → mask latency of the classical pipeline (target: median ≤ 300 ms up to 1 MP).

Run: PYTHONPATH=. python benchmarks/click_latency.py [--data ../shared/data/GrabCut]
     [--megapixels 1.0] [--limit 10] [--clicks 5]

With ``--data`` (the images/ + masks/ benchmark layout: 255 object, 0 background, 128
ignored) each photo is resized to about ``--megapixels``, segmented from its box (mask
bounding box + 3 % of the image size per side), then corrected with ``--clicks``
simulated clicks (each at the most interior pixel of the largest error region). Without
``--data`` drawn scenes are used. Prints the median / p90 / max of the time
``Pipeline.run`` takes per click (correct stage + click constraints), the process CPU
time per click (less sensitive to other processes on a shared machine than wall time),
the box time, the CPU time until the first mask is shown (the pipeline's partial result),
and the load average beside them.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from dis_annotator.engine.factory import build_pipeline
from dis_annotator.engine.types import Box, ImageData, Point, Prompt, Request


def next_click(pred: np.ndarray, gt: np.ndarray) -> Point | None:
    """Most interior pixel of the largest error region (128 in ``gt`` is never clicked)."""
    valid = gt != 128
    best = None
    for err, positive in (((gt == 255) & ~pred & valid, True), ((gt == 0) & pred & valid, False)):
        n, lab, stats, _ = cv2.connectedComponentsWithStats(err.astype(np.uint8), connectivity=8)
        for k in range(1, n):
            if best is None or stats[k, cv2.CC_STAT_AREA] > best[0]:
                best = (stats[k, cv2.CC_STAT_AREA], lab == k, positive)
    if best is None:
        return None
    dt = cv2.distanceTransform(np.pad(best[1], 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dt)), dt.shape)
    return Point(x + 0.5, y + 0.5, best[2])


def box_of(gt: np.ndarray) -> Box:
    h, w = gt.shape
    ys, xs = np.nonzero(gt == 255)
    return Box(max(0, xs.min() - 0.03 * w), max(0, ys.min() - 0.03 * h),
               min(w, xs.max() + 1 + 0.03 * w), min(h, ys.max() + 1 + 0.03 * h))


def photos(folder: Path, megapixels: float, limit: int):
    for mp in sorted((folder / "masks").glob("*.png"))[:limit]:
        ip = next((folder / "images").glob(mp.stem + ".*"))
        rgb = cv2.imread(str(ip), cv2.IMREAD_COLOR)[:, :, ::-1]
        gt = cv2.imread(str(mp), cv2.IMREAD_GRAYSCALE)
        s = math.sqrt(megapixels * 1e6 / (gt.shape[0] * gt.shape[1]))
        size = (round(gt.shape[1] * s), round(gt.shape[0] * s))
        yield (mp.stem, np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC)),
               cv2.resize(gt, size, interpolation=cv2.INTER_NEAREST))


def drawn(megapixels: float, limit: int):
    rng = np.random.default_rng(0)
    side = int(math.sqrt(megapixels * 1e6))
    for k in range(limit):
        noise = cv2.resize(rng.uniform(0, 255, (12, 12, 3)).astype(np.float32), (side, side),
                           interpolation=cv2.INTER_CUBIC)
        img = np.clip(0.6 * noise + 50 + rng.normal(0, 8, (side, side, 3)), 0, 255)
        gt = np.zeros((side, side), np.uint8)
        c = side // 2
        cv2.ellipse(gt, (c, c), (side // 4, side // 6), 30 * k, 0, 360, 255, -1)
        cv2.circle(gt, (c + side // 5, c - side // 6), side // 10, 255, -1)
        m = gt[..., None] / 255.0
        img = np.clip(img * (1 - m) + rng.uniform(0, 255, 3) * m, 0, 255).astype(np.uint8)
        yield f"drawn{k}", img, gt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--megapixels", type=float, default=1.0)
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--clicks", type=int, default=5)
    args = ap.parse_args()
    cv2.setNumThreads(2)
    pipe = build_pipeline(engine="classical")
    print(pipe.summary())
    source = photos(args.data, args.megapixels, args.limit) if args.data else drawn(
        args.megapixels, args.limit)
    click_ms, click_cpu, box_ms, box_cpu = [], [], [], []
    shown: dict[str, list[float]] = {"box": [], "refined": [], "click": []}
    for name, rgb, gt in source:
        image = ImageData(rgb)
        box = box_of(gt)
        t0, c0 = time.perf_counter(), time.process_time()
        first: list[float] = []
        out = pipe.run(Request(image, Prompt(box=box)), on_partial=_partials_at(first, c0)).output
        box_ms.append((time.perf_counter() - t0) * 1e3)
        box_cpu.append((time.process_time() - c0) * 1e3)
        shown["box"].append(first[0] if first else box_cpu[-1])
        shown["refined"].append(first[-1] if first else box_cpu[-1])
        points: list[Point] = []
        for _ in range(args.clicks):
            p = next_click(out.mask, gt)
            if p is None:
                break
            points.append(p)
            t0, c0 = time.perf_counter(), time.process_time()
            first = []
            out = pipe.run(Request(image, Prompt(box=box, points=tuple(points)), previous=out),
                           on_partial=_partials_at(first, c0)).output
            click_ms.append((time.perf_counter() - t0) * 1e3)
            click_cpu.append((time.process_time() - c0) * 1e3)
            shown["click"].append(first[0] if first else click_cpu[-1])
        print(f"{name}: {rgb.shape[1]}x{rgb.shape[0]} box {box_ms[-1]:.0f} ms, clicks "
              + " ".join(f"{t:.0f}" for t in click_ms[-len(points):]) + " ms", flush=True)
    q = sorted(click_ms)
    print(f"click ms: median {statistics.median(q):.0f}, p90 {q[int(0.9 * (len(q) - 1))]:.0f}, "
          f"max {q[-1]:.0f} over {len(q)} clicks (CPU time of this process: median "
          f"{statistics.median(click_cpu):.0f} ms); box ms median {statistics.median(box_ms):.0f} "
          f"(CPU {statistics.median(box_cpu):.0f}); "
          f"load average {os.getloadavg()[0]:.2f}")
    # What a person waits for: the masks on screen (the pipeline's partial results: a box's
    # coarse, then refined mask; a click's corrected mask), before the uncertainty estimate.
    print(f"mask shown, CPU ms median: box coarse {statistics.median(shown['box']):.0f}, "
          f"box refined {statistics.median(shown['refined']):.0f}, "
          f"click {statistics.median(shown['click']):.0f}")


def _partials_at(sink: list[float], c0: float):  # noqa: ANN202
    """An on_partial callback noting the CPU ms since ``c0`` at each partial result."""
    def note(_result: object) -> None:
        sink.append((time.process_time() - c0) * 1e3)
    return note

if __name__ == "__main__":
    main()
