"""What the uncertainty costs on the click path (issue 15): the estimator alone, and a
classical box run and click run with and without it, on a drawn ~1 MP photo-like scene
(a spoked wheel on a busy background) and on an 8K-wide one. Wall times: record
``uptime`` beside them.

    python benchmarks/uncertainty_latency.py            # 1 MP and 8K, 5 repeats
    python benchmarks/uncertainty_latency.py --sizes 1000 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from dis_annotator.engine.factory import build_pipeline  # noqa: E402
from dis_annotator.engine.types import Box, ImageData, Point, Prompt, Request  # noqa: E402
from dis_annotator.engine.uncertainty import UncertaintyEstimator  # noqa: E402
from tests.synthetic import spoked_wheel  # noqa: E402


def timed(fn, repeats: int) -> tuple[float, object]:
    out, ms = None, []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms), out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,7680", help="image widths (square scenes, 8K: 7680×4320)")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f}; median of {args.repeats} runs, ms")
    print(f"{'image':>12} {'estimator':>10} {'box run':>9} {'box, no unc.':>13} {'click run':>10} "
          f"{'click, no unc.':>15} {'work px':>8}")
    est = UncertaintyEstimator()
    for width in (int(v) for v in args.sizes.split(",")):
        img, _, box = spoked_wheel(min(width, 1000))
        if width > 1000:  # an 8K frame with the wheel (and its box) scaled up in it
            h = width * 9 // 16
            big = cv2.resize(img, (h, h), interpolation=cv2.INTER_LINEAR)
            frame = np.full((h, width, 3), 127, np.uint8)
            frame[:, (width - h) // 2 : (width - h) // 2 + h] = big
            f = h / img.shape[0]
            box = (box[0] * f + (width - h) // 2, box[1] * f, box[2] * f + (width - h) // 2, box[3] * f)
            img = frame
        image = ImageData(img)
        with_u = build_pipeline(engine="classical")
        without = build_pipeline(engine="classical")
        without.uncertainty = False
        prompt = Prompt(box=Box(*box))

        def run(p, pr, prev=None, image=image):  # noqa: ANN001, ANN202
            return p.run(Request(image, pr, previous=prev))

        box_ms, first = timed(lambda: run(with_u, prompt), args.repeats)  # noqa: B023
        box0_ms, _ = timed(lambda: run(without, prompt), args.repeats)  # noqa: B023
        est_ms, u = timed(lambda: est(image, first.output, prompt), args.repeats)  # noqa: B023
        cx, cy = u.suggested_click or ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        click = Prompt(box=Box(*box), points=(Point(cx, cy, bool(u.suggested_positive)),))
        click_ms, _ = timed(lambda: run(with_u, click, first.output), args.repeats)  # noqa: B023
        click0_ms, _ = timed(lambda: run(without, click, first.output), args.repeats)  # noqa: B023
        h, w = u.work.shape
        print(f"{img.shape[1]}x{img.shape[0]:>5} {est_ms:10.0f} {box_ms:9.0f} {box0_ms:13.0f} {click_ms:10.0f} "
              f"{click0_ms:15.0f} {h * w:8d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
