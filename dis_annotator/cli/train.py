"""``dis-annotator train gt-encoder | refiner | pisam``.

``gt-encoder`` and ``refiner`` train the IS5Net refiner's two stages (defaults are the
papers': IS-Net GT encoder Adam 1e-3; DIS-SAM refiner Adam 1e-5, batch 6, 1024²,
λ_ortho 1e-6). ``pisam --stage 1|2`` trains Pi-SAM's HR decoder, then its interactor::

    dis-annotator train pisam --stage 1 --data DIS5K --subset DIS-TR --out pisam_s1.pth
    dis-annotator train pisam --stage 2 --init pisam_s1.pth --data DIS5K --out pisam_vit_b.pth
    dis-annotator train pisam --stage 1 --synthetic 64 --tiny-sam --epochs 2   # smoke run

Only argparse is imported at module level (the CLI's start-up rule); torch and the
trainers (:mod:`dis_annotator.training`) load inside the ``run_*`` functions.
"""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("train", help="train the refiner (IS5Net), its GT encoder, or Pi-SAM")
    inner = parser.add_subparsers(dest="train_command", metavar="WHAT", required=True)
    _register_isnet(inner)
    _register_pisam(inner)


# -- IS-Net: GT encoder and refiner -------------------------------------------------------

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


def _register_isnet(sub: argparse._SubParsersAction) -> None:
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


# -- Pi-SAM -------------------------------------------------------------------------------
def _register_pisam(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "pisam",
        help="train Pi-SAM (stage 1: HR mask decoder; stage 2: precise interactor)",
        description="Train Pi-SAM on top of a frozen SAM. Image embeddings are computed "
        "once and cached on disk.",
    )
    p.add_argument("--stage", type=int, choices=(1, 2), required=True)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="DIS5K-layout folder (im/*.jpg + gt/*.png per subset)")
    src.add_argument("--synthetic", type=int, metavar="N", help="generate N synthetic images")
    p.add_argument("--subset", default="DIS-TR", help="DIS5K subset to train on (default DIS-TR)")
    p.add_argument("--val-data", default=None, help="DIS5K-layout folder for validation")
    p.add_argument("--val-subset", default="DIS-VD", help="validation subset (default DIS-VD)")
    p.add_argument("--val-fraction", type=float, default=0.1,
                   help="hold out this fraction of the training images when no --val-data")
    p.add_argument("--synthetic-size", type=int, default=1024, help="side of synthetic images")
    sam = p.add_mutually_exclusive_group()
    sam.add_argument("--sam", default="sam_vit_b",
                     help="SAM weights: installed model name or checkpoint path (default sam_vit_b)")
    sam.add_argument("--tiny-sam", action="store_true",
                     help="random tiny SAM (smoke runs and tests only; not usable in the app)")
    p.add_argument("--tiny-sam-size", type=int, default=256, help=argparse.SUPPRESS)
    p.add_argument("--init", default=None,
                   help="Pi-SAM checkpoint to start from (required for stage 2: the stage-1 result)")
    p.add_argument("--out", default=None, help="output checkpoint (default pisam_stage<N>.pth)")
    p.add_argument("--cache", default=".pisam_cache", help="embedding cache folder")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr", type=float, default=0.0)
    p.add_argument("--box-jitter", type=float, default=0.05)
    p.add_argument("--max-points", type=int, default=10)
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps")
    p.add_argument("--device", default=None, help="cpu, cuda, … (default: best available)")
    p.add_argument("--no-amp", action="store_true", help="no bf16 autocast on CUDA")
    p.add_argument("--resume", action="store_true", help="continue from <out>.train.pt")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run_pisam)


def _load_sam(args: argparse.Namespace) -> tuple[object, str]:
    import os

    from dis_annotator.engine import weights
    from dis_annotator.engine.errors import WeightsError
    from dis_annotator.engine.sam_model import load_sam
    from dis_annotator.training.pisam_tiny import TINY_SAM, build_tiny_sam

    if args.tiny_sam:
        return build_tiny_sam(args.seed, args.tiny_sam_size), TINY_SAM.model_type
    path = args.sam
    if not (os.sep in path or path.endswith((".pth", ".pt"))):
        found = weights.resolve_weights(path)
        if found is None:
            raise WeightsError(f"SAM weights {path!r} are not installed "
                               f"(dis-annotator models download {path})")
        path = str(found.path)
    sam, config = load_sam(path)
    if config.tiny_vit is not None:
        raise WeightsError("Pi-SAM trains on SAM ViT-B's intermediate features; MobileSAM "
                           "(vit_t) has none: use --sam sam_vit_b")
    return sam, config.model_type


def run_pisam(args: argparse.Namespace) -> int:
    import logging
    import sys
    from pathlib import Path

    import numpy as np

    from dis_annotator.engine.device import pick_device
    from dis_annotator.engine.errors import WeightsError
    from dis_annotator.engine.pisam_stage import load_pisam, save_pisam
    from dis_annotator.nets.pisam.decoder import PiSamDecoder
    from dis_annotator.training.pisam_data import DiskEmbeddingCache, dis5k_items, synthetic_items
    from dis_annotator.training.pisam_eval import evaluate_clicks, evaluate_stage1
    from dis_annotator.training.pisam_train import TrainConfig, train

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.stage == 2 and not args.init:
        print("error: stage 2 needs --init <stage-1 checkpoint>", file=sys.stderr)
        return 2
    device = pick_device(args.device)
    try:
        sam, sam_model = _load_sam(args)
    except WeightsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sam.to(device).eval()
    for prm in sam.parameters():
        prm.requires_grad_(False)
    vit_dim = int(sam.image_encoder.patch_embed.proj.out_channels)
    if args.init:
        try:
            decoder, _, _ = load_pisam(args.init, sam_model=sam_model, vit_dim=vit_dim)
        except WeightsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    else:
        decoder = PiSamDecoder(vit_dim)

    if args.synthetic:
        items = synthetic_items(args.synthetic, args.synthetic_size, args.seed)
    else:
        items = dis5k_items(args.data, args.subset)
    cache = DiskEmbeddingCache(args.cache, sam, sam_model)
    print(f"caching SAM {sam_model} embeddings in {cache.dir} …", flush=True)
    try:
        paths = cache.ensure_all(items)
        val = cache.ensure_all(dis5k_items(args.val_data, args.val_subset)) if args.val_data else []
    except ValueError as exc:  # DatasetError, unreadable images
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.val_data:
        train_paths = paths
    else:
        order = np.random.default_rng(args.seed).permutation(len(paths))
        n_val = int(round(len(paths) * args.val_fraction)) if len(paths) > 1 else 0
        val = [paths[i] for i in order[:n_val]]
        train_paths = [paths[i] for i in order[n_val:]]
    if not train_paths:
        print("error: no training images found", file=sys.stderr)
        return 2
    out = Path(args.out or f"pisam_stage{args.stage}.pth")
    cfg = TrainConfig(
        stage=args.stage, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        min_lr=args.min_lr, box_jitter=args.box_jitter, max_points=args.max_points,
        seed=args.seed, amp=not args.no_amp, max_steps=args.max_steps,
    )
    print(f"stage {args.stage}: {len(train_paths)} training / {len(val)} validation images "
          f"on {device}", flush=True)
    result = train(
        decoder, sam, train_paths, cfg, out, sam_model, device=device, resume=args.resume,
        on_log=lambda s, loss, lr: print(f"step {s}  loss {loss:.4f}  lr {lr:.2e}", flush=True),
    )
    metrics = {"final_loss": result.losses[-1] if result.losses else float("nan")}
    if val:
        if args.stage == 1:
            metrics.update(evaluate_stage1(decoder, sam, val, device))
        else:
            metrics.update(evaluate_clicks(decoder, sam, val, args.max_points, args.seed, device))
    save_pisam(
        out, decoder, sam_model=sam_model, frame=int(sam.image_encoder.img_size),
        stage=args.stage, step=result.steps, metrics=metrics,
        extra={"train_images": len(train_paths), "val_images": len(val)},
    )
    print(" ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    print(f"wrote {out} ({result.steps} steps, {result.seconds:.0f} s)")
    return 0
