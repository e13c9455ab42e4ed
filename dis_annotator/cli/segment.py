"""``dis-annotator segment INPUT... --boxes FILE --out DIR``: the headless main job."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "segment",
        help="segment boxed objects in images/folders and write PNG masks",
        description="Segment every box of every image and write 0/255 PNG masks at full "
        "resolution. Outputs that exist are skipped (resume) unless --overwrite.",
    )
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="image files or folders")
    p.add_argument("--boxes", required=True, type=Path, metavar="FILE",
                   help="JSON {path: [[x0,y0,x1,y1],...]}, COCO instances JSON, or CSV image,x0,y0,x1,y1[,label]")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    p.add_argument("--per-object", action="store_true", help="also write <stem>_obj<k>.png per box")
    p.add_argument("--cutout", action="store_true", help="also write RGBA cut-outs (<stem>_cutout.png)")
    p.add_argument("--coco", type=Path, metavar="FILE", help="write COCO RLE annotations to FILE")
    p.add_argument("--overwrite", action="store_true", help="recompute images whose outputs exist")
    p.add_argument("--report", type=Path, metavar="FILE.csv",
                   help="write one row per image and object: area, estimated effort (corrections "
                   "left), uncertain share of the box, suggested click, stages used (images "
                   "computed in this run; skipped ones are not re-measured)")
    p.add_argument("--uncertainty", action="store_true",
                   help="also write <stem>_uncertainty.png (8-bit, 255 = most likely wrong)")
    p.add_argument("--engine", choices=("auto", "classical", "sam"), default="auto",
                   help="coarse stage: SAM when its weights exist (auto), or force one")
    p.add_argument("--refiner", choices=("auto", "classical", "is5net", "none"), default="auto",
                   help="refine stage: IS5Net when its weights exist (auto), or force one")
    p.add_argument("--device", default=None, help="torch device for learned stages (default: best available)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _writable_folder(folder: Path) -> str | None:
    """Why nothing can be written into ``folder`` (created when missing), or None."""
    import os
    import tempfile

    if folder.exists() and not folder.is_dir():
        return "is a file, not a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".dis-annotator-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"cannot write there ({exc.strerror or exc})"
    return None


def _check_coco(coco: Path) -> str | None:
    if coco.is_dir():
        return "is a folder; give a file name such as coco.json"
    return _writable_folder(coco.parent)


def run(args: argparse.Namespace) -> int:
    from dis_annotator.batch import (
        BatchOptions,
        BatchUsageError,
        collect_images,
        match_boxes,
        plan_batch,
        run_batch,
    )
    from dis_annotator.engine.errors import WeightsError
    from dis_annotator.engine.factory import build_pipeline
    from dis_annotator.io.boxes import BoxFileError, read_boxes
    from dis_annotator.io.load import ImageLoadError, max_pixels_limit

    err = sys.stderr

    def usage(message: str) -> int:
        print(f"error: {message}", file=err)
        return 2

    # Every usage error is found here, before the first image is computed.
    missing = [str(p) for p in args.inputs if not p.exists()]
    if missing:
        return usage(f"input not found: {', '.join(missing)}")
    try:
        max_pixels_limit()
    except ImageLoadError as exc:
        return usage(str(exc))
    if args.out.exists() and not args.out.is_dir():
        return usage(f"--out {args.out}: is a file, not a folder")
    if args.coco is not None and args.coco.is_dir():
        return usage(f"--coco {args.coco}: {_check_coco(args.coco)}")
    try:
        table = read_boxes(args.boxes)
    except BoxFileError as exc:
        return usage(str(exc))
    images = collect_images(args.inputs, exclude=args.out)
    if args.report is not None and args.report.is_dir():
        return usage(f"--report {args.report}: is a folder; give a file name such as report.csv")
    opts = BatchOptions(args.out, args.per_object, args.cutout, args.coco, args.overwrite,
                        args.report, args.uncertainty)
    protected = [p for p, _ in images] + [args.boxes]
    if args.report is not None and args.report.resolve() in {p.resolve() for p in protected}:
        return usage(f"--report {args.report} would overwrite an input")
    try:
        jobs, no_boxes, unmatched = match_boxes(images, table)
        plan_batch(jobs, opts, protected)
    except BatchUsageError as exc:
        return usage(str(exc))
    for rel in no_boxes:
        print(f"note: no boxes for {rel}; skipped", file=err)
    for key in unmatched:
        print(f"warning: boxes given for {key}, but no such image among the inputs", file=err)
    if not jobs:
        return usage("no image has boxes; nothing to do")
    why = _writable_folder(args.out)
    if why is not None:
        return usage(f"--out {args.out}: {why}")
    if args.coco is not None:
        why = _check_coco(args.coco)
        if why is not None:
            return usage(f"--coco {args.coco}: {why}")
    try:
        pipeline = build_pipeline(engine=args.engine, refiner=args.refiner, device=args.device)
    except WeightsError as exc:
        return usage(str(exc))
    print(f"pipeline: {pipeline.summary()}", file=err)
    for note in pipeline.notes:
        print(f"  {note}", file=err)
    try:
        report = run_batch(jobs, pipeline, opts, progress=not args.no_progress, protected=protected)
    except BatchUsageError as exc:
        return usage(str(exc))
    n = len(jobs)
    for note in report.notes:
        print(f"note: {note}", file=err)
    print(
        f"done in {report.seconds:.1f} s: {len(report.written)} written, "
        f"{len(report.skipped)} skipped (outputs exist), {len(report.failed)} failed, of {n} images"
        + (f"; {report.seconds / max(1, len(report.written)):.2f} s per image" if report.written else ""),
        file=err,
    )
    for rel, reason in report.failed:
        print(f"failed: {rel}: {reason}", file=err)
    return 1 if report.failed else 0
