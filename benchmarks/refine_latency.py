"""IS5Net refine-stage latency on CPU: full-size and narrow nets, net size 1024² and 512²,
ROI crop vs whole image. Random weights (latency does not depend on them).

Run: PYTHONPATH=. python benchmarks/refine_latency.py [--threads 2] [--repeats 3]
Prints one row per configuration: median ms of ``IS5NetStage.refine`` (crop, resize,
forward, resize back, threshold) on a 4000×3000 photo with a 1200×900 box.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from dis_annotator.engine.is5net_stage import IS5NetStage
from dis_annotator.engine.types import Box, ImageData, MaskOutput, Prompt
from dis_annotator.nets.isnet import ISNetDIS


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--widths", default="1.0,0.25")
    ap.add_argument("--sizes", default="1024,512")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    image = ImageData(rng.integers(0, 255, (3000, 4000, 3), dtype=np.uint8))
    mask = np.zeros((3000, 4000), bool)
    mask[1000:1800, 1500:2600] = True
    coarse = MaskOutput(mask=mask)
    prompt = Prompt(box=Box(1450, 950, 2650, 1850))
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, device {args.device}, "
          f"image 4000x3000, box 1200x900")
    print(f"{'width':>6} {'params':>10} {'size':>5} {'mode':>6} {'median ms':>10} {'min ms':>8}")
    for width in (float(w) for w in args.widths.split(",")):
        torch.manual_seed(0)
        net = ISNetDIS(in_ch=5, width=width)
        params = sum(p.numel() for p in net.parameters())
        for size in (int(s) for s in args.sizes.split(",")):
            for use_roi in (True, False):
                stage = IS5NetStage(net, size=size, device=args.device, use_roi=use_roi)
                stage.refine(image, coarse, prompt)  # warm-up (allocator, kernels)
                times = []
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    stage.refine(image, coarse, prompt)
                    if args.device.startswith("cuda"):
                        torch.cuda.synchronize()
                    times.append((time.perf_counter() - t0) * 1e3)
                mode = "roi" if use_roi else "whole"
                print(f"{width:>6} {params:>10,} {size:>5} {mode:>6} "
                      f"{statistics.median(times):>10.0f} {min(times):>8.0f}", flush=True)


if __name__ == "__main__":
    main()
