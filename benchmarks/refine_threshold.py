"""0.5 vs Otsu for the IS5Net refine stage, measured end to end on held-out images.

Run: PYTHONPATH=. python benchmarks/refine_threshold.py CHECKPOINT DATA_ROOT [--subset DIS-VD]
Prints mean IoU / boundary F of the coarse input and of the refined mask at each
threshold, over every GT component (coarse masks from ``sam_like_coarse``, box = GT box).
"""

from __future__ import annotations

import argparse
import json

import torch

from dis_annotator.engine.is5net_stage import load_stage
from dis_annotator.training.train_refiner import evaluate_stage


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("data")
    ap.add_argument("--subset", default="DIS-VD")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    stage = load_stage(args.checkpoint, device="cpu")
    res = evaluate_stage(stage, args.data, args.subset, seed=args.seed,
                         thresholds=("0.5", "otsu"), limit=args.limit)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
