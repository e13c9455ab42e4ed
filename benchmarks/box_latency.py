"""Box → mask latency of the classical pipeline at photo sizes up to 1 MP and at 24 MP.

Draws a textured object (a blob with a thin handle-like arc and spokes) on a textured
background at each size, runs ``Pipeline.run`` for its box a few times and prints the
median wall time, the median CPU time of the process per stage and until the refined mask
is shown (before the uncertainty estimate that follows it; CPU time is less
sensitive to other jobs on a shared machine; record ``uptime`` beside the numbers).
Targets (issue 17, 2 cores): median ≤ 1 s up to 1 MP, ≤ 2.5 s at 24 MP.

    python benchmarks/box_latency.py [--repeat 3] [--sizes 0.15,1,24]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dis_annotator.engine.factory import build_pipeline  # noqa: E402
from dis_annotator.engine.types import Box, ImageData, Prompt, Request  # noqa: E402
from tests.synthetic import iou, textured_background  # noqa: E402


def scene(mp: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """An H×W×3 photo-like image of ``mp`` megapixels (4:3), its truth and a person's box."""
    w = int(round(np.sqrt(mp * 1e6 * 4 / 3)))
    h = int(round(w * 3 / 4))
    rng = np.random.default_rng(seed)
    small = (max(64, w // 8), max(48, h // 8))
    bg = cv2.resize(np.clip(textured_background(small[1], small[0], rng), 0, 255).astype(np.uint8),
                    (w, h), interpolation=cv2.INTER_LINEAR)
    truth = np.zeros((h, w), np.uint8)
    c = (w // 2, h // 2)
    cv2.ellipse(truth, c, (w // 5, h // 4), 15, 0, 360, 255, -1)
    cv2.ellipse(truth, (c[0] + w // 5, c[1]), (w // 12, h // 10), 0, -90, 90, 255, max(2, w // 300))
    for k in range(12):
        a = 2 * np.pi * k / 12
        end = (int(c[0] + 0.3 * w * np.cos(a)), int(c[1] + 0.38 * h * np.sin(a)))
        cv2.line(truth, c, end, 255, max(1, w // 800))
    obj = np.empty((h, w, 3), np.uint8)
    obj[:] = (190, 70, 40)
    noise = rng.normal(0, 8, (h // 4 + 1, w // 4 + 1, 3))
    obj = np.clip(obj + cv2.resize(noise, (w, h))[: h, : w], 0, 255).astype(np.uint8)
    m = truth > 0
    img = bg.copy()
    img[m] = obj[m]
    ys, xs = np.nonzero(m)
    pad = int(0.03 * max(w, h))
    box = (max(0, xs.min() - pad), max(0, ys.min() - pad), min(w, xs.max() + pad), min(h, ys.max() + pad))
    return img, m, box


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="0.15,1,24", help="megapixels, comma list")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--refiner", default="auto")
    args = ap.parse_args(argv)
    pipeline = build_pipeline(engine="classical", refiner=args.refiner)
    print(f"pipeline: {pipeline.summary()}")
    for mp in (float(s) for s in args.sizes.split(",")):
        img, truth, box = scene(mp)
        image = ImageData(img)
        walls, cpus, shown, stages, last = [], [], [], {}, None
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            marks: list[float] = []
            last = pipeline.run(Request(image, Prompt(box=Box(*box))),
                                on_partial=lambda _r, m=marks, c=c0: m.append(time.process_time() - c))
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            shown.append(marks[-1] if marks else cpus[-1])
            for r in last.reports:
                stages.setdefault(r.name, []).append(r.ms / 1000)
        per_stage = ", ".join(f"{k} {np.median(v):.2f} s" for k, v in stages.items())
        print(f"{img.shape[1]}x{img.shape[0]} ({mp:g} MP): median wall {np.median(walls):.2f} s, "
              f"CPU {np.median(cpus):.2f} s ({per_stage}); refined mask shown after "
              f"{np.median(shown):.2f} s CPU (the uncertainty estimate follows); "
              f"IoU {iou(last.mask, truth):.3f}")
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
