"""Does the estimated effort fall as clicks fix an object? On ``../shared/data/GrabCut``
and ``../shared/data/Berkeley``.

``eval --suggest`` ranks objects by their effort after the box (issue 15); a person in
the app also watches one object's effort while correcting it. Per object this runs the
protocol's box and ``--clicks`` oracle clicks (interior of the largest error) with the
uncertainty estimate on, and reports, over the clicks that raised IoU by more than 0.01:
the share after which the effort fell, and the same for the true HCE (IS-Net's human
correction effort against the truth: it too can rise when a fix leaves a ragged outline)
and for the expected 1 − IoU. Within each object: Spearman of the effort against the
true HCE and against 1 − IoU over its box + click states, averaged over the objects.

    python benchmarks/effort_trajectory.py --workers 2 [--clicks 5] [--no-hce]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dis_annotator.cli.eval_noc import PIPELINE, PipelineSpec, build, map_tasks  # noqa: E402
from dis_annotator.metrics.noc import find_benchmark_sets  # noqa: E402

RAISED = 0.01  # a click "fixed something" when IoU rose by more than this


def one(task: tuple[str, str, Path, Path, PipelineSpec, int, bool]) -> dict[str, Any]:
    import numpy as np

    from dis_annotator.cli.eval_noc import PipelineSegmenter
    from dis_annotator.io import load_image
    from dis_annotator.metrics.batch import read_gray
    from dis_annotator.metrics.hce import hce
    from dis_annotator.metrics.noc import run_protocol, split_target

    set_name, stem, image, mask, spec, clicks, with_hce = task
    truth = read_gray(mask)
    fg, _ = split_target(truth)
    segment = PipelineSegmenter(build(spec), load_image(image), stem)
    gt8 = fg.astype(np.uint8) * 255
    skeleton = None
    if with_hce:
        from skimage.morphology import skeletonize

        skeleton = skeletonize(fg)  # the slow part of HCE: once per object
    states: list[dict[str, float]] = []

    def observed(box: Any, clicked: Any, state: Any) -> tuple[Any, Any]:
        pred, out = segment(box, clicked, state)
        u = out.uncertainty
        row = {"effort": float(u.effort) if u else 0.0, "loss": float(u.expected_loss) if u else 0.0}
        row["hce"] = float(hce(pred.astype(np.uint8) * 255, gt8, skeleton)) if with_hce else math.nan
        states.append(row)
        return pred, out

    trajectory = run_protocol(observed, truth, "box", clicks, None, stem)
    for row, step in zip(states, trajectory.steps, strict=False):
        row["iou"] = step.iou
    return {"set": set_name, "stem": stem, "states": states[: len(trajectory.steps)]}


def summarise(rows: list[dict[str, Any]], key: str) -> tuple[int, float, float, float]:
    """(improving clicks, share after which ``key`` fell, mean within-object Spearman of
    ``key`` against HCE, against 1 − IoU)."""
    import numpy as np

    from dis_annotator.metrics.suggest import spearman

    n = fell = 0
    vs_hce: list[float] = []
    vs_iou: list[float] = []
    for r in rows:
        s = r["states"]
        for a, b in zip(s, s[1:], strict=False):
            if b["iou"] - a["iou"] > RAISED:
                n += 1
                fell += b[key] < a[key]
        values = [x[key] for x in s]
        for target, out in (([x["hce"] for x in s], vs_hce), ([1 - x["iou"] for x in s], vs_iou)):
            rho = spearman(values, target)
            if rho == rho:
                out.append(rho)
    mean = lambda v: float(np.mean(v)) if v else math.nan  # noqa: E731
    return n, fell / max(n, 1), mean(vs_hce), mean(vs_iou)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--sets", default="GrabCut,Berkeley")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--engine", default="classical")
    ap.add_argument("--clicks", type=int, default=5)
    ap.add_argument("--no-hce", action="store_true", help="skip the true HCE (the slow part)")
    args = ap.parse_args(argv)

    sets = find_benchmark_sets(args.data_root, args.sets.split(","))
    if not sets:
        print(f"none of {args.sets} under {args.data_root}", file=sys.stderr)
        return 2
    spec = PipelineSpec(PIPELINE, args.engine)
    print(f"{PIPELINE}: {build(spec).summary()}")
    tasks = [(s.name, stem, image, mask, spec, args.clicks, not args.no_hce)
             for s in sets for stem, image, mask in s.objects()]
    t0 = time.perf_counter()
    rows = map_tasks(one, tasks, args.workers)
    print(f"{len(rows)} objects, box + {args.clicks} oracle clicks, {time.perf_counter() - t0:.0f} s, "
          f"{args.workers} workers; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"over the clicks that raised IoU by > {RAISED}; within-object Spearman over box + click states")
    print(f"{'set':10s} {'value':14s} {'clicks':>6s} {'fell':>6s} {'rho(HCE)':>9s} {'rho(1-IoU)':>11s}")
    keys = [("effort", "effort"), ("loss", "expected 1-IoU")] + ([] if args.no_hce else [("hce", "true HCE")])
    for name in [s.name for s in sets] + ["all"]:
        rs = [r for r in rows if name in ("all", r["set"])]
        for key, label in keys:
            n, fell, vs_hce, vs_iou = summarise(rs, key)
            hce_col = "-" if args.no_hce else f"{vs_hce:.3f}"
            print(f"{name:10s} {label:14s} {n:6d} {fell:6.2f} {hce_col:>9s} {vs_iou:11.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
