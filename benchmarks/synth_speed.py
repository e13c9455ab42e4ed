"""Time synthetic sample generation and coarse-mask degradation per 512² sample (CPU).

Run: ``python benchmarks/synth_speed.py [N]``. Prints ms per sample (mean, median, max)
per object kind, and the IoU of ``sam_like_coarse`` (binarised at 0.5) with the GT.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dis_annotator.training.synth import generate_sample  # noqa: E402


def main(n: int = 200) -> None:
    import cv2

    # one thread and CPU time: other jobs on this machine skew wall-clock numbers
    cv2.setNumThreads(1)
    try:
        from dis_annotator.training.degrade import sam_like_coarse
    except ImportError:
        sam_like_coarse = None
    generate_sample(np.random.default_rng(12345))  # warm up cv2 / numpy
    times: dict[str, list[float]] = defaultdict(list)
    deg_ms, ious = [], defaultdict(list)
    for i in range(n):
        rng = np.random.default_rng([7, i])
        t = time.process_time()
        s = generate_sample(rng)
        times[s.kind].append((time.process_time() - t) * 1000)
        if sam_like_coarse is not None:
            gt = s.gt > 0
            t = time.process_time()
            coarse = sam_like_coarse(gt, rng) > 0.5
            deg_ms.append((time.process_time() - t) * 1000)
            ious[s.kind].append((coarse & gt).sum() / max((coarse | gt).sum(), 1))
    every = [x for v in times.values() for x in v]
    print(f"generate_sample 512x512 (CPU time, 1 thread): n={n} mean {np.mean(every):.1f} ms, "
          f"median {np.median(every):.1f} ms, max {np.max(every):.1f} ms")
    for k in sorted(times):
        line = f"  {k:9s} n={len(times[k]):3d} mean {np.mean(times[k]):6.1f} ms"
        if ious[k]:
            line += f"  coarse IoU mean {np.mean(ious[k]):.3f}"
        print(line)
    if deg_ms:
        all_iou = [x for v in ious.values() for x in v]
        print(f"sam_like_coarse: mean {np.mean(deg_ms):.1f} ms; IoU vs GT mean {np.mean(all_iou):.3f},"
              f" p10 {np.percentile(all_iou, 10):.3f}, median {np.median(all_iou):.3f},"
              f" p90 {np.percentile(all_iou, 90):.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
