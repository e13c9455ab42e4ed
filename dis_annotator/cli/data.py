"""``dis-annotator data synth`` and ``dis-annotator data coarse-masks``.

``synth`` writes synthetic DIS-like images in the DIS5K layout (see
:mod:`dis_annotator.training.synth`). ``coarse-masks`` precomputes one coarse mask per
training sample (:mod:`dis_annotator.training.coarse_masks` says how and where).
"""

from __future__ import annotations

import argparse
from pathlib import Path

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("data", help="generate synthetic DIS-like data, precompute coarse masks")
    inner = parser.add_subparsers(dest="data_command", metavar="WHAT", required=True)
    p = inner.add_parser("synth", help="write synthetic DIS-like images + exact GT (DIS5K layout)")
    p.add_argument("--out", required=True, type=Path, help="dataset root to write into")
    p.add_argument("-n", type=int, required=True, help="number of images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, nargs=2, metavar=("W", "H"), default=(512, 512))
    p.add_argument("--kinds", default=None,
                   help="comma-separated object kinds (default: all: wires, wheel, net, tree, "
                        "lattice, text, lace, creature)")
    p.add_argument("--splits", default=None,
                   help="fractions per subset, e.g. DIS-TR=0.8,DIS-VD=0.1,DIS-TE1=0.1 (default)")
    p.add_argument("--workers", type=int, default=1,
                   help="processes generating in parallel (same files for any value)")
    p.set_defaults(func=run_synth)

    c = inner.add_parser("coarse-masks",
                       help="precompute a coarse mask per (image, GT component) for refiner training")
    c.add_argument("--data", required=True, type=Path, help="dataset root in the DIS5K layout")
    c.add_argument("--out", type=Path, default=None,
                   help="root to write <subset>/coarse/ under (default: --data)")
    c.add_argument("--engine", choices=("auto", "classical", "sam"), default="auto",
                   help="sam: SAM with the component's GT box; classical: SAM-like GT "
                        "degradation; auto: SAM when its weights are installed")
    c.add_argument("--subsets", default=None,
                   help="comma-separated subsets (default: every DIS5K subset present)")
    c.add_argument("--seed", type=int, default=0, help="seed of the degradation")
    c.add_argument("--min-fraction", type=float, default=None,
                   help="smallest component that is its own sample (default 0.004)")
    c.add_argument("--device", default=None, help="torch device for SAM")
    c.add_argument("--overwrite", action="store_true", help="recompute existing mask files")
    c.set_defaults(func=run_coarse_masks)


def _parse_splits(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    out = {}
    for part in text.split(","):
        name, _, frac = part.partition("=")
        out[name.strip()] = float(frac)
    return out


def run_synth(args: argparse.Namespace) -> int:
    from dis_annotator.training.synth import KINDS, write_dataset

    kinds = [k.strip() for k in args.kinds.split(",")] if args.kinds else None
    if kinds and (bad := [k for k in kinds if k not in KINDS]):
        print(f"error: unknown kinds {bad}; choose from {', '.join(KINDS)}")
        return EXIT_USAGE
    if args.n < 1 or min(args.size) < 32:
        print("error: need -n >= 1 and --size at least 32 32")
        return EXIT_USAGE
    try:
        splits = _parse_splits(args.splits)
        counts = write_dataset(args.out, args.n, seed=args.seed, size=tuple(args.size),
                               splits=splits, kinds=kinds, progress=True,
                               workers=max(1, args.workers))
    except ValueError as exc:
        print(f"error: {exc}")
        return EXIT_USAGE
    print(f"wrote {args.n} images to {args.out}: "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return EXIT_OK


def run_coarse_masks(args: argparse.Namespace) -> int:
    from dis_annotator.training.coarse_masks import CoarseMaskWriter, pick_coarse_source
    from dis_annotator.training.dis5k import SUBSETS, DatasetError, available_subsets

    root: Path = args.data
    present = [s for s in SUBSETS if s in available_subsets(root)]
    subsets = [s.strip() for s in args.subsets.split(",")] if args.subsets else present
    if not subsets:
        print(f"error: no DIS5K subsets (DIS-TR/im + DIS-TR/gt, …) under {root}")
        return EXIT_USAGE
    try:
        source = pick_coarse_source(args.engine, device=args.device)
    except Exception as exc:  # WeightsError, or SAM modules missing for --engine sam
        print(f"error: {exc}")
        return EXIT_USAGE
    print(f"coarse masks from: {source.describe()}")
    writer = CoarseMaskWriter(source, out_root=args.out or root, seed=args.seed,
                              min_fraction=args.min_fraction, overwrite=args.overwrite)
    failures = 0
    for subset in subsets:
        try:
            stats = writer.run(root, subset, progress=True)
        except DatasetError as exc:
            print(f"error: {exc}")
            return EXIT_USAGE
        failures += stats["failed"]
        print(f"{subset}: {stats['images']} images, {stats['written']} masks written, "
              f"{stats['kept']} kept, {stats['failed']} failed")
    return EXIT_FAILURES if failures else EXIT_OK


