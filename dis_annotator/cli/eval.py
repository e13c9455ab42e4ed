"""``dis-annotator eval``: DIS metrics for folders of predictions, for the project's own
pipeline (boxes from the GT), and for the interactive click protocol.

The pipeline and click runs live here rather than in ``metrics/`` because they join the
engine, the click simulator (``training``) and the metrics, and only the CLI layer may
import all three (docs/adr/0012).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DEFAULT_CHECKPOINTS = (0, 1, 2, 5)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="DIS metrics (max F, weighted F, MAE, S, mean E, HCE) for folders or the pipeline",
        description=(
            "Evaluate like the DIS papers. Three modes: --pred DIR --gt DIR (folders of "
            "masks matched by file stem; a DIS5K root gives one row per subset), --run "
            "--data DIR (the project's pipeline with boxes from the GT), --clicks K "
            "--data DIR (the Pi-SAM interactive protocol with simulated clicks on DIS5K; on "
            "images/ + masks/ benchmarks such as GrabCut and Berkeley, the standard NoC protocol)."
        ),
    )
    p.add_argument("--pred", type=Path, metavar="DIR", help="predicted maps (0-255 PNG/JPG)")
    p.add_argument("--gt", type=Path, metavar="DIR", help="GT masks, or a DIS5K root")
    p.add_argument("--run", action="store_true", help="run the pipeline on --data and evaluate it")
    p.add_argument(
        "--clicks", metavar="K|LIST",
        help="interactive protocol: report after these click counts (e.g. 0,1,2,5; "
        "a single K means 0,1,2,5 up to K)",
    )
    p.add_argument("--data", type=Path, metavar="DIR", help="DIS5K-like data: im/ and gt/ (or a root of such subsets)")
    p.add_argument("--engine", choices=["auto", "classical", "sam"], default="auto")
    p.add_argument("--refiner", choices=["auto", "classical", "is5net", "none"], default="auto")
    p.add_argument("--corrector", choices=["auto", "classical", "pisam"], default="auto")
    p.add_argument("--device", default=None, help="cpu, cuda, mps (default: best available)")
    p.add_argument(
        "--boxes", choices=["object", "component"], default="object",
        help="--run prompts: one box around the whole GT object, or one per GT component",
    )
    p.add_argument("--min-box-area", type=int, default=64, metavar="PX",
                   help="--boxes component: skip GT components smaller than this")
    p.add_argument("--binary", action="store_true",
                   help="evaluate the pipeline's binary masks instead of its soft maps")
    p.add_argument("--seed", type=int, default=0, help="click simulation seed (default 0)")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="first N images per subset")
    p.add_argument("--save-pred", type=Path, metavar="DIR", help="also write the pipeline's maps as PNG")
    p.add_argument("--csv", type=Path, metavar="FILE", help="write per-image rows to this CSV")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="processes for folder evaluation")
    p.add_argument("--skeleton-cache", type=Path, metavar="DIR",
                   help="where GT skeletons (HCE) are cached (default: the user cache folder)")
    p.add_argument("--no-skeleton-cache", action="store_true", help="compute skeletons every time")
    noc = p.add_argument_group(
        "real-photo benchmarks (--data with images/ + masks/): --clicks K is the click cap "
        "(20 as published); standard protocol, NoC@85/90"
    )
    noc.add_argument("--start", choices=["box", "click", "both"], default="box",
                     help="start from the benchmark box, or from a first click at the object's interior")
    noc.add_argument("--baseline", action="store_true",
                     help="also run plain OpenCV GrabCut with the same protocol, side by side")
    noc.add_argument("--baseline-cache", type=Path, default=None, metavar="DIR",
                     help="read/store the baseline's trajectories here (they are deterministic "
                     "and slow; keyed by protocol version, set, object, start, cap)")
    noc.add_argument("--stop-iou", type=float, default=None, metavar="IOU",
                     help="stop an object once it reaches this IoU (faster; NoC up to it unchanged)")
    noc.add_argument("--suggest", action="store_true",
                     help="check the uncertainty band, the suggested click and the effort "
                     "(5 clicks, or --clicks K, at the suggestion vs the oracle's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "suggest", False):
        if args.data is None or not args.data.is_dir():
            return _usage("--suggest needs --data DIR (images/ + masks/)")
        from dis_annotator.cli.eval_suggest import run_suggest_cli

        return run_suggest_cli(args)
    folder_mode = args.pred is not None or args.gt is not None
    modes = int(folder_mode) + int(args.run) + int(args.clicks is not None)
    if modes != 1:
        return _usage("choose one of: --pred DIR --gt DIR, --run --data DIR, --clicks K --data DIR")
    if folder_mode:
        if args.pred is None or args.gt is None:
            return _usage("--pred and --gt go together")
        for d in (args.pred, args.gt):
            if not d.is_dir():
                return _usage(f"{d} is not a folder")
        return _eval_folders(args)
    if args.data is None or not args.data.is_dir():
        return _usage("--run and --clicks need --data DIR (a folder with im/ and gt/)")
    if args.clicks is not None:
        from dis_annotator.metrics.noc import find_benchmark_sets

        if find_benchmark_sets(args.data):
            from dis_annotator.cli.eval_noc import run_noc

            return run_noc(args)
    checkpoints: list[int] | None = None
    if args.clicks is not None:
        try:
            checkpoints = parse_checkpoints(args.clicks)
        except ValueError as exc:
            return _usage(str(exc))
    return _eval_pipeline(args, checkpoints)


def _usage(message: str) -> int:
    print(f"dis-annotator eval: {message}", file=sys.stderr)
    return 2


def parse_checkpoints(text: str) -> list[int]:
    """``"0,1,3"`` → [0, 1, 3]; ``"5"`` → [0, 1, 2, 5]; ``"3"`` → [0, 1, 2, 3]."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"--clicks wants a number or a comma list of numbers, got {text!r}") from None
    if not values or any(v < 0 for v in values):
        raise ValueError(f"--clicks wants non-negative click counts, got {text!r}")
    if len(values) == 1:
        k = values[0]
        values = [c for c in DEFAULT_CHECKPOINTS if c < k] + [k]
    return sorted(set(values))


def _skeleton_dir(args: argparse.Namespace) -> Path | None:
    if args.no_skeleton_cache:
        return None
    if args.skeleton_cache is not None:
        return args.skeleton_cache
    from dis_annotator.metrics.skeleton import default_cache_dir

    return default_cache_dir()


# --- folders ------------------------------------------------------------------------


def _eval_folders(args: argparse.Namespace) -> int:
    from dis_annotator.metrics.batch import evaluate_pairs
    from dis_annotator.metrics.layout import find_subsets, match_pairs, pred_folder

    subsets = find_subsets(args.gt)
    several = len(subsets) > 1
    results = []
    rows: list[dict[str, Any]] = []
    problems = 0
    for subset in subsets:
        pdir = pred_folder(args.pred, subset, several)
        pairs, missing = match_pairs(pdir, subset.gt_dir)
        if args.limit is not None:
            pairs = pairs[: args.limit]
        if missing and args.limit is None:
            problems += len(missing)
            print(f"{subset.name}: {len(missing)} GT masks have no prediction in {pdir} "
                  f"(skipped; e.g. {', '.join(missing[:3])})", file=sys.stderr)
        if not pairs:
            print(f"{subset.name}: no predictions matched by name in {pdir}", file=sys.stderr)
            continue
        ev, per_pair = evaluate_pairs(pairs, workers=args.workers, skeleton_dir=_skeleton_dir(args))
        for res in per_pair:
            if res.error is not None:
                problems += 1
                print(f"{subset.name}/{res.name}: {res.error}", file=sys.stderr)
        resized = [r for r in per_pair if r.resized_from is not None]
        if resized:
            first = resized[0]
            print(f"{subset.name}: {len(resized)} predictions differ in size from their GT and "
                  f"were resized (bilinear) to it, e.g. {first.name} was "
                  f"{first.resized_from[1]}x{first.resized_from[0]}")
        results.append((subset.name, ev))
        rows += [{"subset": subset.name, **r} for r in ev.rows]
    if not results:
        print("nothing to evaluate", file=sys.stderr)
        return 1
    _print_table(results, label="set")
    if args.csv is not None:
        _write_csv(args.csv, rows, with_clicks=False)
    return 1 if problems else 0


def _print_table(results: list[tuple[str, Any]], label: str) -> None:
    from dis_annotator.metrics.evaluator import DISEvaluator
    from dis_annotator.metrics.layout import TEST_PREFIX
    from dis_annotator.metrics.report import format_table

    table = [(name, ev.results()) for name, ev in results]
    tests = [ev for name, ev in results if name.startswith(TEST_PREFIX)]
    if len(tests) > 1:
        pooled = DISEvaluator()
        for ev in tests:
            pooled.extend(ev)
        table.append((f"{TEST_PREFIX} (all)", pooled.results()))
    print(format_table(table, label=label))


def _write_csv(path: Path, rows: list[dict[str, Any]], with_clicks: bool) -> None:
    from dis_annotator.metrics.evaluator import COLUMNS
    from dis_annotator.metrics.report import write_csv

    fields = ["subset", "name", *(["clicks"] if with_clicks else []), *COLUMNS]
    if rows and "ms" in rows[0]:
        fields.append("ms")
    write_csv(path, rows, fields)
    print(f"per-image rows: {path}")


# --- the project's pipeline -----------------------------------------------------------


def _eval_pipeline(args: argparse.Namespace, checkpoints: list[int] | None) -> int:
    from dis_annotator.engine.errors import WeightsError
    from dis_annotator.engine.factory import build_pipeline
    from dis_annotator.metrics.layout import find_subsets

    subsets = [s for s in find_subsets(args.data) if s.im_dir is not None]
    if not subsets:
        return _usage(f"{args.data} has no im/ + gt/ folders (DIS5K layout)")
    try:
        pipeline = build_pipeline(
            engine=args.engine, refiner=args.refiner, corrector=args.corrector, device=args.device
        )
    except WeightsError as exc:
        print(f"dis-annotator eval: {exc}", file=sys.stderr)
        return 1
    print(f"pipeline: {pipeline.summary()}")
    for note in pipeline.notes:
        print(f"note: {note}")
    runner = _PipelineRun(pipeline, args, checkpoints)
    for subset in subsets:
        runner.subset(subset)
    return runner.finish()


class _PipelineRun:
    """State of one ``--run`` / ``--clicks`` evaluation across subsets."""

    def __init__(self, pipeline: Any, args: argparse.Namespace, checkpoints: list[int] | None):
        from dis_annotator.metrics.skeleton import SkeletonCache

        self.pipeline = pipeline
        self.args = args
        self.checkpoints = checkpoints if checkpoints is not None else [0]
        self.interactive = checkpoints is not None
        self.skeletons = SkeletonCache(_skeleton_dir(args))
        self.latency: dict[str, list[float]] = {}
        self.results: list[tuple[str, int, Any]] = []  # (subset, clicks, evaluator)
        self.rows: list[dict[str, Any]] = []
        self.problems = 0
        self.image_index = 0

    def subset(self, subset: Any) -> None:
        from dis_annotator.io import IMAGE_SUFFIXES
        from dis_annotator.metrics.evaluator import DISEvaluator
        from dis_annotator.metrics.layout import files_by_stem

        images = files_by_stem(subset.im_dir, tuple(IMAGE_SUFFIXES))
        gts = files_by_stem(subset.gt_dir)
        stems = sorted(s for s in gts if s in images)
        if self.args.limit is not None:
            stems = stems[: self.args.limit]
        if not stems:
            print(f"{subset.name}: no image has a GT of the same name", file=sys.stderr)
            self.problems += 1
            return
        evs = {c: DISEvaluator() for c in self.checkpoints}
        for stem in stems:
            try:
                self._one(subset.name, stem, images[stem], gts[stem], evs)
            except (OSError, ValueError) as exc:
                self.problems += 1
                print(f"{subset.name}/{stem}: {exc}", file=sys.stderr)
            self.image_index += 1
        for c, ev in evs.items():
            self.results.append((subset.name, c, ev))

    def _one(self, subset: str, stem: str, im_path: Path, gt_path: Path, evs: dict) -> None:
        import numpy as np

        from dis_annotator.engine.types import Box, ImageData, Prompt, Request
        from dis_annotator.io import load_image
        from dis_annotator.metrics.batch import read_gray
        from dis_annotator.metrics.gt_boxes import gt_boxes

        rgb = load_image(im_path)
        gt = read_gray(gt_path)
        if gt.shape != rgb.shape[:2]:
            raise ValueError(f"GT is {gt.shape[1]}x{gt.shape[0]} but the image is "
                             f"{rgb.shape[1]}x{rgb.shape[0]}")
        g = gt > 128
        skeleton = self.skeletons.get(g)
        image = ImageData(rgb, name=stem)
        mode = "object" if self.interactive else self.args.boxes
        boxes = [Box(*b) for b in gt_boxes(g, mode, self.args.min_box_area)]
        pred = np.zeros(gt.shape, np.uint8)
        outputs = []
        for i, box in enumerate(boxes):
            result = self.pipeline.run(Request(image, Prompt(box=box), object_id=str(i)))
            self._timed(result)
            outputs.append(result.output)
            pred = np.maximum(pred, self._as_map(result.output, gt.shape))
        clicks_done, points = 0, ()
        rng = np.random.default_rng([self.args.seed, self.image_index])
        for c in self.checkpoints:
            if c > clicks_done and outputs:
                pred, points = self._click_round(image, boxes[0], g, outputs, points, c - clicks_done, rng)
            clicks_done = max(clicks_done, c)
            row = evs[c].add(pred, gt, stem, skeleton=skeleton)
            self.rows.append({"subset": subset, **row, **({"clicks": c} if self.interactive else {})})
        if self.args.save_pred is not None:
            from dis_annotator.io import atomic_write_bytes, encode_png

            out = self.args.save_pred / subset / f"{stem}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(out, encode_png(pred))

    def _click_round(self, image, box, g, outputs, points, n, rng):
        from dis_annotator.engine.types import Prompt, Request
        from dis_annotator.training.clicks import simulate_clicks

        previous = outputs[-1]
        new = simulate_clicks(previous.mask, g, n, rng)
        if new:
            points = (*points, *new)
            request = Request(image, Prompt(box=box, points=points), object_id="0",
                              generation=len(outputs), previous=previous)
            result = self.pipeline.run(request)
            self._timed(result)
            outputs.append(result.output)
        return self._as_map(outputs[-1], g.shape), points

    def _timed(self, result: Any) -> None:
        total = 0.0
        for r in result.reports:
            self.latency.setdefault(f"{r.stage} ({r.name})", []).append(r.ms)
            total += r.ms
        self.latency.setdefault("total per request", []).append(total)

    def _as_map(self, output: Any, shape: tuple[int, int]) -> Any:
        """H×W uint8: the soft map over its box (unless --binary), the mask elsewhere."""
        import cv2
        import numpy as np

        pred = output.mask.astype(np.uint8) * 255
        if self.args.binary or output.prob is None or output.prob_box is None:
            return pred
        x0, y0, x1, y1 = output.prob_box.int_bounds()
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(shape[1], x1), min(shape[0], y1)
        if x1 <= x0 or y1 <= y0:
            return pred
        prob = np.asarray(output.prob, dtype=np.float32)
        if prob.shape != (y1 - y0, x1 - x0):
            prob = cv2.resize(prob, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        pred[y0:y1, x0:x1] = np.clip(np.rint(prob * 255), 0, 255).astype(np.uint8)
        return pred

    def finish(self) -> int:
        from dis_annotator.metrics.report import latency_summary

        if not any(len(ev) for _, _, ev in self.results):
            print("nothing was evaluated", file=sys.stderr)
            return 1
        for c in self.checkpoints:
            if self.interactive:
                print(f"after {c} click{'s' if c != 1 else ''}:")
            _print_table([(name, ev) for name, k, ev in self.results if k == c], label="set")
        print("latency per stage:")
        print(latency_summary(self.latency))
        if self.args.csv is not None:
            _write_csv(self.args.csv, self.rows, with_clicks=self.interactive)
        return 1 if self.problems else 0
