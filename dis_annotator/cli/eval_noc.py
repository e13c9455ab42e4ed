"""``dis-annotator eval --clicks K`` on real-photo benchmarks (images/ + masks/ layout).

Runs the standard NoC protocol (``metrics/noc.py``) for the project's pipeline and,
with ``--baseline``, for plain OpenCV GrabCut given the same clicks, and prints them
side by side per set. Lives in ``cli/`` because it joins the engine and the
metrics (docs/adr/0012, 0100).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASELINE = "opencv-grabcut"
PIPELINE = "dis-annotator"
SPLITS = ("all", "odd", "even")


@dataclass(frozen=True)
class PipelineSpec:
    """How to build what is measured, picklable for worker processes."""

    kind: str  # PIPELINE or BASELINE
    engine: str = "classical"
    refiner: str = "auto"
    corrector: str = "auto"
    device: str | None = None


@dataclass(frozen=True)
class Task:
    set_name: str
    stem: str
    image: Path
    mask: Path
    spec: PipelineSpec
    start: str
    max_clicks: int
    stop_iou: float | None
    baseline_cache: Path | None = None  # the baseline's trajectories are read/stored here


_PIPELINES: dict[PipelineSpec, Any] = {}


def build(spec: PipelineSpec) -> Any:
    """The engine pipeline for ``spec`` (cached per process); None for the baseline."""
    if spec.kind == BASELINE:
        return None
    if spec not in _PIPELINES:
        from dis_annotator.engine.factory import build_pipeline

        _PIPELINES[spec] = build_pipeline(
            engine=spec.engine, refiner=spec.refiner, corrector=spec.corrector, device=spec.device
        )
    return _PIPELINES[spec]


class PipelineSegmenter:
    """Adapts ``Pipeline.run`` to the protocol's segmenter: the state is the last output."""

    def __init__(self, pipeline: Any, rgb: Any, name: str = "") -> None:
        from dis_annotator.engine.types import ImageData

        self.pipeline = pipeline
        self.image = ImageData(rgb, name=name)
        self.generation = 0

    def __call__(self, box: Any, clicks: Sequence[Any], state: Any) -> tuple[Any, Any]:
        from dis_annotator.engine.types import Box, Point, Prompt, Request

        prompt = Prompt(
            box=Box(*box) if box is not None else None,
            points=tuple(Point(float(c.x), float(c.y), bool(c.positive)) for c in clicks),
        )
        self.generation += 1
        result = self.pipeline.run(
            Request(self.image, prompt, object_id="0", generation=self.generation, previous=state)
        )
        return result.output.mask, result.output


def run_task(task: Task) -> Any:
    """One object through the protocol; errors become the trajectory's ``error``."""
    from dis_annotator.io import load_image
    from dis_annotator.metrics.batch import read_gray
    from dis_annotator.metrics.grabcut_baseline import PlainGrabCut
    from dis_annotator.metrics.noc import Trajectory, run_protocol

    cache = key = None
    if task.baseline_cache is not None and task.spec.kind == BASELINE:
        from dis_annotator.metrics.grabcut_baseline import version
        from dis_annotator.metrics.trajectory_cache import TrajectoryCache, fingerprint

        cache = TrajectoryCache(task.baseline_cache, version())
        try:
            key = (task.set_name, task.stem, task.start, task.max_clicks, task.stop_iou,
                   fingerprint(task.image, task.mask))
        except OSError as exc:
            return Trajectory(task.stem, task.start, error=str(exc))
        hit = cache.load(*key)
        if hit is not None:
            return hit
    try:
        rgb = load_image(task.image)
        mask = read_gray(task.mask)
        if mask.shape != rgb.shape[:2]:
            raise ValueError(f"mask is {mask.shape[1]}x{mask.shape[0]} but the image is "
                             f"{rgb.shape[1]}x{rgb.shape[0]}")
        pipeline = build(task.spec)
        segment = PlainGrabCut(rgb) if pipeline is None else PipelineSegmenter(pipeline, rgb, task.stem)
        traj = run_protocol(segment, mask, task.start, task.max_clicks, task.stop_iou, task.stem)
    except (OSError, ValueError) as exc:
        return Trajectory(task.stem, task.start, error=str(exc))
    if cache is not None and key is not None:
        cache.store(*key, traj)
    return traj


def _init_worker() -> None:
    import cv2

    cv2.setNumThreads(1)  # one process per core; OpenCV's own threads would fight them


def build_or_report(spec: PipelineSpec) -> Any:
    """``build(spec)`` with its summary printed; None (said in one line) when its weights fail."""
    from dis_annotator.engine.errors import WeightsError

    try:
        pipeline = build(spec)
    except WeightsError as exc:
        print(f"dis-annotator eval: {exc}", file=sys.stderr)
        return None
    print(f"{PIPELINE}: {pipeline.summary()}")
    return pipeline


def map_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int = 1) -> list[Any]:
    """``fn`` over ``tasks`` in task order, in ``workers`` processes (fork) or in-process."""
    if workers <= 1 or len(tasks) <= 1:
        return [fn(t) for t in tasks]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker) as pool:
        return list(pool.map(fn, tasks, chunksize=1))


def run_tasks(tasks: Sequence[Task], workers: int = 1) -> list[Any]:
    """Trajectories in task order."""
    return map_tasks(run_task, tasks, workers)


def make_tasks(
    sets: Sequence[Any], specs: Sequence[PipelineSpec], starts: Sequence[str], max_clicks: int,
    stop_iou: float | None, limit: int | None, baseline_cache: Path | None = None,
    split: str = "all",
) -> list[Task]:
    """Every (set, start, object, pipeline); pipelines interleave so they share the load.
    ``split``: "all", or "odd" / "even" = the 1st, 3rd, … / 2nd, 4th, … object of each set
    in stem order (tune on one half, confirm on the other)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    tasks = []
    for s in sets:
        chosen = s.objects(split)[:limit]
        for start in starts:
            for stem, image, mask in chosen:
                for spec in specs:
                    tasks.append(Task(s.name, stem, image, mask, spec, start, max_clicks,
                                      stop_iou, baseline_cache))
    return tasks


def group(tasks: Sequence[Task], trajectories: Sequence[Any]) -> dict[tuple[str, str, str], list[Any]]:
    """``{(set, start, pipeline kind): [trajectory, ...]}``."""
    out: dict[tuple[str, str, str], list[Any]] = {}
    for t, traj in zip(tasks, trajectories, strict=True):
        out.setdefault((t.set_name, t.start, t.spec.kind), []).append(traj)
    return out


def report(groups: dict[tuple[str, str, str], list[Any]], cap: int) -> tuple[str, list[dict[str, Any]]]:
    """The printed tables (one per set and start, pipelines side by side, with the ratios
    the targets use when the baseline ran) and the summary rows."""
    from dis_annotator.metrics.noc_report import format_rows, summarise

    lines: list[str] = []
    rows: list[dict[str, Any]] = []
    keys = sorted({(s, st) for s, st, _ in groups}, key=lambda k: (k[0], k[1] != "box"))
    for set_name, start in keys:
        reference = {t.name: t.start_iou for t in groups.get((set_name, "box", BASELINE), []) if t.steps}
        table = []
        summaries = {}
        for kind in (PIPELINE, BASELINE):
            trajs = groups.get((set_name, start, kind))
            if trajs is None:
                continue
            summ = summarise(trajs, cap=cap, reference=reference or None)
            summaries[kind] = summ
            table.append((kind, summ.as_row()))
            rows.append({"set": set_name, "start": start, "pipeline": kind, **summ.as_row()})
        lines.append(f"{set_name}, {start} start:")
        lines.append(format_rows(table))
        if PIPELINE in summaries and BASELINE in summaries:
            lines.append(target_line(summaries[PIPELINE], summaries[BASELINE], start))
        for kind, summ in summaries.items():
            if summ.failures:
                lines.append(f"  {kind}: ends below 0.3 although the baseline box reached 0.5: "
                             + ", ".join(summ.failures))
        cached = [t for t in groups.get((set_name, start, BASELINE), []) if t.cached]
        if cached:
            lines.append(f"  {BASELINE}: {len(cached)} trajectories from the baseline cache "
                         "(their ms were measured when they were computed)")
        errors = [t for kind in (PIPELINE, BASELINE) for t in groups.get((set_name, start, kind), []) if t.error]
        for t in errors:
            lines.append(f"  error: {t.name}: {t.error}")
        lines.append("")
    return "\n".join(lines), rows


def target_line(p: Any, b: Any, start: str) -> str:
    """The issue's targets as ratios/differences against the baseline of the same run."""
    if b.noc[0.90] > 0:
        parts = [f"NoC@90 {p.noc[0.90] / b.noc[0.90]:.2f}x baseline (target <= 0.6)"]
    else:
        parts = [f"NoC@90 {p.noc[0.90]:.2f} vs 0 for the baseline (target <= 0.6x)"]
    if start == "box":
        parts.append(f"box mIoU {p.box_miou - b.box_miou:+.3f} vs baseline (target >= +0.03)")
    parts.append(f"clicks lowering IoU by > 0.01: {100 * p.worse_tol:.1f} % (target <= 2 %)")
    parts.append(f"failures {len(p.failures)} (target 0)")
    return "  targets: " + "; ".join(parts)


def _usage(message: str) -> int:
    print(f"dis-annotator eval: {message}", file=sys.stderr)
    return 2


def run_noc(args: Any) -> int:
    """The ``eval --clicks K --data DIR`` entry for the images/ + masks/ layout."""
    from dis_annotator.metrics.noc import find_benchmark_sets
    from dis_annotator.metrics.noc_report import TRAJECTORY_FIELDS, trajectory_rows
    from dis_annotator.metrics.report import write_csv

    try:
        values = [int(v) for v in str(args.clicks).split(",") if v.strip()]
    except ValueError:
        return _usage(f"--clicks wants a number, got {args.clicks!r}")
    cap = max(values, default=0)
    if cap < 1:
        return _usage("--clicks wants the click cap (20 as published)")
    sets = find_benchmark_sets(args.data)
    spec = PipelineSpec(PIPELINE, args.engine, args.refiner, args.corrector, args.device)
    pipeline = build_or_report(spec)
    if pipeline is None:
        return 1
    specs = [spec] + ([PipelineSpec(BASELINE)] if args.baseline else [])
    if args.baseline:
        print(f"{BASELINE}: plain cv2.grabCut, full resolution, 5 iterations, clicks as 5-px hard seeds")
    starts = ["box", "click"] if args.start == "both" else [args.start]
    cache_dir = getattr(args, "baseline_cache", None)
    tasks = make_tasks(sets, specs, starts, cap, args.stop_iou, args.limit, cache_dir)
    trajectories = run_tasks(tasks, args.workers)
    text, _ = report(group(tasks, trajectories), cap)
    print(f"protocol: click cap {cap}" + (f", stop at IoU {args.stop_iou}" if args.stop_iou else "")
          + "; ms = wall time per call; NoC counts clicks after the start (a box alone = 0)")
    print(text)
    if args.csv is not None:
        rows = []
        for (set_name, _start, kind), trajs in group(tasks, trajectories).items():
            rows += trajectory_rows(set_name, kind, trajs)
        write_csv(args.csv, rows, TRAJECTORY_FIELDS)
        print(f"per-click trajectories: {args.csv}")
    return 1 if any(t.error for t in trajectories) else 0
