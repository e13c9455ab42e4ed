"""The project's pipeline vs plain OpenCV GrabCut on real-photo benchmarks, side by side.

Runs the standard interactive protocol (``dis-annotator eval --clicks``; box = mask bbox
+ 3 % of the image size, each next click at the interior of the largest error region,
20-click cap) on ``../shared/data/GrabCut`` and ``../shared/data/Berkeley`` for the
project's pipeline (classical by default) and for plain GrabCut given the same clicks
as 5-px hard seeds, and prints per set and start both rows plus the ratios the targets
of issue 17 use. Record ``uptime`` beside the latency columns: they are wall times.

    python benchmarks/interactive_real.py                      # everything (long on 2 cores)
    python benchmarks/interactive_real.py --limit 10 --starts box --stop-iou 0.9 --workers 2
    # the baseline is deterministic and slow: compute it once, re-use it in every later run
    python benchmarks/interactive_real.py --baseline-cache ../notes/baseline_cache --baseline-only
    python benchmarks/interactive_real.py --baseline-cache ../notes/baseline_cache --split odd
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dis_annotator.cli.eval_noc import (  # noqa: E402
    BASELINE,
    PIPELINE,
    SPLITS,
    PipelineSpec,
    build,
    group,
    make_tasks,
    report,
    run_tasks,
)
from dis_annotator.metrics.noc import find_benchmark_sets  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--sets", default="GrabCut,Berkeley", help="comma list of sets under --data-root")
    ap.add_argument("--starts", default="box,click", help="box, click or box,click")
    ap.add_argument("--max-clicks", type=int, default=20)
    ap.add_argument("--stop-iou", type=float, default=None,
                    help="stop an object at this IoU (NoC up to it unchanged; faster)")
    ap.add_argument("--limit", type=int, default=None, help="first N objects per set")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--engine", default="classical")
    ap.add_argument("--refiner", default="auto")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--baseline-only", action="store_true", help="only the baseline (e.g. to fill its cache)")
    ap.add_argument("--baseline-cache", type=Path, default=None, metavar="DIR",
                    help="read/store the baseline's trajectories here (docs/adr/0107)")
    ap.add_argument("--split", choices=SPLITS, default="all",
                    help="odd / even: every other object of each set in stem order (held-out halves)")
    ap.add_argument("--csv", type=Path, default=None, help="per-click trajectories")
    args = ap.parse_args(argv)

    wanted = [s for s in args.sets.split(",") if s]
    sets = find_benchmark_sets(args.data_root, wanted)
    missing = set(wanted) - {s.name for s in sets}
    if missing:
        print(f"not found under {args.data_root}: {', '.join(sorted(missing))}", file=sys.stderr)
        return 2
    spec = PipelineSpec(PIPELINE, args.engine, args.refiner)
    specs = [] if args.baseline_only else [spec]
    if specs:
        print(f"{PIPELINE}: {build(spec).summary()}")
    if not args.no_baseline:
        print(f"{BASELINE}: plain cv2.grabCut, full resolution, 5 iterations, clicks as 5-px hard seeds")
        specs.append(PipelineSpec(BASELINE))
    starts = [s for s in args.starts.split(",") if s]
    tasks = make_tasks(sets, specs, starts, args.max_clicks, args.stop_iou, args.limit,
                       args.baseline_cache, args.split)
    t0 = time.perf_counter()
    trajectories = run_tasks(tasks, args.workers)
    wall = time.perf_counter() - t0
    text, _ = report(group(tasks, trajectories), args.max_clicks)
    print(f"protocol: click cap {args.max_clicks}"
          + (f", stop at IoU {args.stop_iou}" if args.stop_iou else "")
          + f"; {args.workers} worker process(es); ms = wall time per call;"
          " NoC counts clicks after the start (a box alone = 0)")
    print(text)
    print(f"wall time {wall:.0f} s; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.csv is not None:
        from dis_annotator.metrics.noc_report import TRAJECTORY_FIELDS, trajectory_rows
        from dis_annotator.metrics.report import write_csv

        rows = []
        for (set_name, _start, kind), trajs in group(tasks, trajectories).items():
            rows += trajectory_rows(set_name, kind, trajs)
        write_csv(args.csv, rows, TRAJECTORY_FIELDS)
        print(f"per-click trajectories: {args.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
