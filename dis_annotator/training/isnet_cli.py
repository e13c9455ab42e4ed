"""``dis-annotator train gt-encoder`` and ``dis-annotator train refiner``.

Only argparse at import time (the CLI's start-up rule); torch is imported in ``run``.
Defaults are the papers' (IS-Net GT encoder: Adam 1e-3; DIS-SAM refiner: Adam 1e-5,
batch 6, 1024², λ_ortho 1e-6).
"""

from __future__ import annotations

import argparse
import json


def _common(p: argparse.ArgumentParser, out: str, batch: int, lr: float, iters: int) -> None:
    p.add_argument("--data", required=True, help="dataset root in the DIS5K layout (DIS-TR/im, DIS-TR/gt, …)")
    p.add_argument("--out", default=out, help=f"run folder for checkpoints and cache (default {out})")
    p.add_argument("--train-subset", default="DIS-TR")
    p.add_argument("--val-subset", default="DIS-VD", help="validation subset; 'none' to skip")
    p.add_argument("--size", type=int, default=1024, help="training size (square), default 1024")
    p.add_argument("--width", type=float, default=1.0, help="channel width multiplier (1.0 = official)")
    p.add_argument("--batch-size", type=int, default=batch)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--iterations", type=int, default=iters)
    p.add_argument("--val-every", type=int, default=None)
    p.add_argument("--val-max", type=int, default=None, help="validate on at most N samples")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 … (default: CUDA if available)")
    p.add_argument("--no-amp", action="store_true", help="disable mixed precision on CUDA")
    p.add_argument("--workers", type=int, default=0, help="data-loader worker processes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache-dir", default=None, help="resized-tensor cache (default OUT/cache)")
    p.add_argument("--max-train-samples", type=int, default=None)
    p.add_argument("--no-progress", action="store_true")


def register(sub: argparse._SubParsersAction) -> None:
    g = sub.add_parser("gt-encoder", help="stage 1: train the GT encoder (reconstructs GT masks)")
    _common(g, "runs/gt_encoder", 8, 1e-3, 20_000)
    g.add_argument("--target-max-f", type=float, default=0.99, help="stop when validation max F exceeds this")
    g.set_defaults(func=run_gt_encoder)

    r = sub.add_parser("refiner", help="stage 2: train the IS5Net refiner (RGB + coarse mask + box)")
    _common(r, "runs/refiner", 6, 1e-5, 100_000)
    r.add_argument("--gt-encoder", default=None, help="frozen GT encoder checkpoint (feature supervision)")
    r.add_argument("--warm-start", default=None, help="IS-Net checkpoint (3 or 5 channels) to start from")
    r.add_argument("--resume", action="store_true", help="continue from OUT/last.pth")
    r.add_argument("--save-every", type=int, default=2000)
    r.add_argument("--lr-schedule", choices=("constant", "cosine"), default="constant",
                   help="constant (paper) or cosine decay to 0 over --iterations")
    r.add_argument("--w-bce", type=float, default=20.0)
    r.add_argument("--w-iou", type=float, default=0.5)
    r.add_argument("--w-fea", type=float, default=1.0)
    r.add_argument("--ortho", type=float, default=1e-6, help="λ of the orthogonality term (paper 1e-6)")
    r.add_argument("--ortho-norm", choices=("fro", "l1"), default="fro",
                   help="fro (paper) or l1 (official code, used there with λ=1e-8)")
    r.set_defaults(func=run_refiner)


def _shared(args: argparse.Namespace) -> dict:
    val = None if str(args.val_subset).lower() == "none" else args.val_subset
    d = {
        "data": args.data, "out": args.out, "train_subset": args.train_subset, "val_subset": val,
        "size": args.size, "width": args.width, "batch_size": args.batch_size, "lr": args.lr,
        "iterations": args.iterations, "val_max": args.val_max, "device": args.device,
        "amp": not args.no_amp, "workers": args.workers, "seed": args.seed,
        "cache_dir": args.cache_dir, "progress": not args.no_progress,
        "max_train_samples": args.max_train_samples,
    }
    if args.val_every is not None:
        d["val_every"] = args.val_every
    return d


def _report(result: dict) -> None:
    print(json.dumps(result, indent=1, default=str))


def run_gt_encoder(args: argparse.Namespace) -> int:
    from dis_annotator.engine.errors import WeightsError
    from dis_annotator.training.dis5k import DatasetError
    from dis_annotator.training.train_gt_encoder import GTEncoderConfig, train_gt_encoder

    try:
        result = train_gt_encoder(GTEncoderConfig(target_max_f=args.target_max_f, **_shared(args)))
    except (FileNotFoundError, WeightsError, DatasetError) as exc:
        print(f"error: {exc}")
        return 2
    _report(result)
    return 0 if result["converged"] else 1


def run_refiner(args: argparse.Namespace) -> int:
    from dis_annotator.engine.errors import WeightsError
    from dis_annotator.training.dis5k import DatasetError
    from dis_annotator.training.losses import LossWeights
    from dis_annotator.training.train_refiner import RefinerConfig, train_refiner

    loss = LossWeights(bce=args.w_bce, iou=args.w_iou, fea=args.w_fea, ortho=args.ortho,
                       ortho_norm=args.ortho_norm)
    cfg = RefinerConfig(loss=loss, gt_encoder=args.gt_encoder, warm_start=args.warm_start,
                        resume=args.resume, save_every=args.save_every,
                        lr_schedule=args.lr_schedule, **_shared(args))
    try:
        result = train_refiner(cfg)
    except (FileNotFoundError, WeightsError, DatasetError) as exc:
        print(f"error: {exc}")
        return 2
    _report(result)
    return 0
