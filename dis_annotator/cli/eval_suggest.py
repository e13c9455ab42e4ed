"""``dis-annotator eval --suggest`` on real-photo benchmarks (images/ + masks/ layout).

After the box, per object: how much of the error the uncertainty band holds, how much of
the box it covers, whether the estimated effort ranks objects like 1 − IoU, and what 5
clicks at the suggested points give against 5 oracle clicks (``metrics/suggest.py``).
Lives in ``cli/`` because it joins the engine and the metrics (docs/adr/0012, 0151).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dis_annotator.cli.eval_noc import (
    PIPELINE,
    PipelineSegmenter,
    PipelineSpec,
    build,
    build_or_report,
    map_tasks,
)

TARGETS = (
    ("wrong_in_band", ">=", 0.60, "wrong pixels in the band"),
    ("band_share", "<=", 0.20, "band share of the box"),
    ("spearman", ">=", 0.50, "Spearman(effort, 1 - IoU)"),
    ("gain_kept", ">=", 0.70, "suggested/oracle 5-click IoU gain"),
)


@dataclass(frozen=True)
class SuggestTask:
    set_name: str
    stem: str
    image: Path
    mask: Path
    spec: PipelineSpec
    clicks: int


def analyse(output: Any) -> tuple[Any, Any, float, float]:
    """The protocol's view of a pipeline output: (full-size map, suggested (x, y), effort,
    expected 1 − IoU)."""
    import numpy as np

    u = output.uncertainty
    if u is None:
        return np.zeros(output.mask.shape, np.float32), None, 0.0, 0.0
    return u.full(), u.suggested_click, u.effort, u.expected_loss


def run_task(task: SuggestTask) -> Any:
    from dis_annotator.io import load_image
    from dis_annotator.metrics.batch import read_gray
    from dis_annotator.metrics.suggest import SuggestRecord, run_suggest

    try:
        rgb = load_image(task.image)
        mask = read_gray(task.mask)
        if mask.shape != rgb.shape[:2]:
            raise ValueError(f"mask is {mask.shape[1]}x{mask.shape[0]} but the image is "
                             f"{rgb.shape[1]}x{rgb.shape[0]}")
        segment = PipelineSegmenter(build(task.spec), rgb, task.stem)
        return run_suggest(segment, analyse, mask, task.clicks, task.stem)
    except (OSError, ValueError) as exc:
        return SuggestRecord(task.stem, error=str(exc))


def run_tasks(tasks: Sequence[SuggestTask], workers: int = 1) -> list[Any]:
    return map_tasks(run_task, tasks, workers)


def make_tasks(sets: Sequence[Any], spec: PipelineSpec, clicks: int, limit: int | None = None,
               parity: str = "all") -> list[SuggestTask]:
    """Every object of every set (sorted by stem); ``parity`` "odd"/"even" keeps the
    1st, 3rd, … or the 2nd, 4th, … object of each set (develop on one, confirm on the other)."""
    tasks = []
    for s in sets:
        for stem, image, mask in s.objects(parity)[:limit]:
            tasks.append(SuggestTask(s.name, stem, image, mask, spec, clicks))
    return tasks


def table(tasks: Sequence[SuggestTask], records: Sequence[Any], clicks: int) -> str:
    """One row per set plus all sets together, then the targets."""
    from dis_annotator.metrics.noc_report import format_rows
    from dis_annotator.metrics.suggest import summarise

    by_set: dict[str, list[Any]] = {}
    for t, r in zip(tasks, records, strict=True):
        by_set.setdefault(t.set_name, []).append(r)
    rows = [(name, summarise(recs, clicks)) for name, recs in by_set.items()]
    everything = summarise(list(records), clicks)
    if len(by_set) > 1:
        rows.append(("all", everything))
    lines = [format_rows(rows, label="set"), "targets (all objects):"]
    for key, op, goal, words in TARGETS:
        value = everything.get(key, float("nan"))
        ok = value >= goal if op == ">=" else value <= goal
        lines.append(f"  {words}: {value:.3f} (target {op} {goal:.2f}) {'met' if ok else 'NOT met'}")
    loss = everything.get("spearman_loss", float("nan"))
    if loss == loss:  # not NaN: the estimator gives an expected 1 - IoU beside the effort
        lines.append(f"  Spearman(expected_loss, 1 - IoU): {loss:.3f} (size-free companion of effort)")
    errors = [f"  error: {r.name}: {r.error}" for r in records if r.error]
    return "\n".join(lines + errors)


def run_suggest_cli(args: Any) -> int:
    """The ``eval --suggest --data DIR`` entry."""
    from dis_annotator.metrics.noc import find_benchmark_sets

    clicks = 5
    if args.clicks is not None:
        try:
            clicks = int(str(args.clicks).split(",")[-1])
        except ValueError:
            print(f"dis-annotator eval: --clicks wants a number, got {args.clicks!r}", file=sys.stderr)
            return 2
    if clicks < 1:
        print("dis-annotator eval: --suggest needs at least one click", file=sys.stderr)
        return 2
    sets = find_benchmark_sets(args.data)
    if not sets:
        print(f"dis-annotator eval: {args.data} has no images/ + masks/ benchmark", file=sys.stderr)
        return 2
    spec = PipelineSpec(PIPELINE, args.engine, args.refiner, args.corrector, args.device)
    if build_or_report(spec) is None:
        return 1
    tasks = make_tasks(sets, spec, clicks, args.limit)
    records = run_tasks(tasks, args.workers)
    print(f"after the box; band = uncertainty >= 0.5; wrong_in_band pools the wrong pixels of all "
          f"objects (_obj: mean per object); {clicks} clicks at the suggestion (label from the truth) "
          f"vs {clicks} oracle clicks; gain_kept = (suggest - box) / (oracle - box)")
    print(table(tasks, records, clicks))
    if args.csv is not None:
        from dis_annotator.metrics.report import write_csv

        rows = [{"set": t.set_name, "name": r.name, "box_iou": r.box_iou, "effort": r.effort,
                 "wrong_px": r.wrong_px, "wrong_in_band_px": r.wrong_in_band_px,
                 "band_share": r.band_share, "expected_loss": r.expected_loss,
                 "suggest_iou": r.suggest_iou[-1] if r.suggest_iou else "",
                 "oracle_iou": r.oracle_iou[-1] if r.oracle_iou else "", "error": r.error or ""}
                for t, r in zip(tasks, records, strict=True)]
        write_csv(args.csv, rows, tuple(rows[0]) if rows else ("set",))
        print(f"per-object rows: {args.csv}")
    return 1 if any(r.error for r in records) else 0
