"""Issue 15's evaluation table: the uncertainty band, the suggested click and the effort
after the box, on ``../shared/data/GrabCut`` and ``../shared/data/Berkeley``.

Per set and for all objects: the share of wrong pixels inside the band (uncertainty ≥
0.5), the band's share of the box, Spearman(effort, 1 − IoU after the box), mIoU after 5
clicks at the suggested point (label from the truth) against 5 oracle clicks (interior of
the largest error region), and the share of the oracle's gain the suggestions keep.
Same as ``dis-annotator eval --suggest --data ../shared/data/GrabCut``, per set.
Record ``uptime`` beside it (it runs 11 pipeline calls per object).

    python benchmarks/uncertainty_real.py --parity odd --workers 1   # develop
    python benchmarks/uncertainty_real.py --parity even --workers 1  # confirm
    python benchmarks/uncertainty_real.py                            # all 150 objects
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dis_annotator.cli.eval_noc import PIPELINE, PipelineSpec, build  # noqa: E402
from dis_annotator.cli.eval_suggest import make_tasks, run_tasks, table  # noqa: E402
from dis_annotator.metrics.noc import find_benchmark_sets  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--sets", default="GrabCut,Berkeley")
    ap.add_argument("--clicks", type=int, default=5)
    ap.add_argument("--parity", choices=["all", "odd", "even"], default="all",
                    help="odd: 1st, 3rd, … object of each set; even: 2nd, 4th, …")
    ap.add_argument("--limit", type=int, default=None, help="first N objects per set (after --parity)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--engine", default="classical")
    ap.add_argument("--refiner", default="auto")
    args = ap.parse_args(argv)

    wanted = [s for s in args.sets.split(",") if s]
    sets = find_benchmark_sets(args.data_root, wanted)
    if {s.name for s in sets} != set(wanted):
        print(f"not all of {wanted} found under {args.data_root}", file=sys.stderr)
        return 2
    spec = PipelineSpec(PIPELINE, args.engine, args.refiner)
    print(f"{PIPELINE}: {build(spec).summary()}")
    tasks = make_tasks(sets, spec, args.clicks, args.limit, args.parity)
    t0 = time.perf_counter()
    records = run_tasks(tasks, args.workers)
    print(f"{len(tasks)} objects ({args.parity}), {args.clicks} clicks, {args.workers} workers, "
          f"{time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.2f}")
    print(table(tasks, records, args.clicks))
    if args.parity == "all":  # the development and the confirmation half, from the same run
        for half in ("odd", "even"):
            keep = {(t.set_name, t.stem) for t in make_tasks(sets, spec, args.clicks, args.limit, half)}
            pairs = [(t, r) for t, r in zip(tasks, records, strict=True) if (t.set_name, t.stem) in keep]
            print(f"\n{half} half:")
            print(table([t for t, _ in pairs], [r for _, r in pairs], args.clicks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
