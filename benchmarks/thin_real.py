"""How much of the objects' thin parts (tails, horns, stems, legs: ≤ ~8 px wide) the box
result keeps, on ``../shared/data/GrabCut`` and ``../shared/data/Berkeley``.

The sets' IoU hardly moves when a thin part is lost; photos of bicycles, plants and hair
are mostly such parts. Per set: the objects with at least ``MIN_THIN_PX`` thin truth
pixels (``metrics/thin.py``), their mean thin-part recall and box IoU after the box, and
the objects that keep least. Box = the protocol's (mask bbox + 3 %).

``--click`` then puts one foreground click where a person adding a lost thin part would:
on the missed thin truth pixel farthest from the mask (the tip of a leg, an antler, a
stem), and reports what it added: the share of the added pixels that are object, the
IoU before and after, and how many clicks lowered IoU by more than 0.01.

    python benchmarks/thin_real.py --workers 2 [--click]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dis_annotator.cli.eval_noc import PIPELINE, PipelineSpec, build, map_tasks  # noqa: E402
from dis_annotator.metrics.noc import find_benchmark_sets  # noqa: E402


def one(task: tuple[str, str, Path, Path, PipelineSpec, bool]) -> dict[str, Any]:
    import cv2
    import numpy as np

    from dis_annotator.cli.eval_noc import PipelineSegmenter
    from dis_annotator.io import load_image
    from dis_annotator.metrics.batch import read_gray
    from dis_annotator.metrics.noc import Click, benchmark_box, iou, split_target
    from dis_annotator.metrics.thin import MIN_THIN_PX, thin_parts, thin_recall

    set_name, stem, image, mask, spec, click = task
    fg, valid = split_target(read_gray(mask))
    thin = thin_parts(fg) & valid
    row = {"set": set_name, "stem": stem, "thin_px": int(np.count_nonzero(thin))}
    segment = PipelineSegmenter(build(spec), load_image(image), stem)
    box = benchmark_box(fg)
    pred, state = segment(box, (), None)
    row["iou"] = iou(pred, fg, valid)
    row["recall"] = thin_recall(pred, thin)
    missed = thin & ~pred
    if click and row["thin_px"] >= MIN_THIN_PX and np.count_nonzero(missed) >= 20:
        far = cv2.distanceTransform((~pred).astype(np.uint8), cv2.DIST_L2, 3)
        far[~missed] = -1
        y, x = np.unravel_index(int(np.argmax(far)), far.shape)
        after, _ = segment(box, (Click(int(x), int(y), True),), state)
        added = after & ~pred
        row.update(click_d=float(far[y, x]), added=int(np.count_nonzero(added)),
                   added_object=int(np.count_nonzero(added & fg)), iou_after=iou(after, fg, valid))
    return row


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    from dis_annotator.metrics.thin import MIN_THIN_PX

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--sets", default="GrabCut,Berkeley")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--engine", default="classical")
    ap.add_argument("--worst", type=int, default=8, help="list this many objects that keep least")
    ap.add_argument("--click", action="store_true",
                    help="then one foreground click on the missed thin part farthest from the mask")
    args = ap.parse_args(argv)

    sets = find_benchmark_sets(args.data_root, args.sets.split(","))
    if not sets:
        print(f"none of {args.sets} under {args.data_root}", file=sys.stderr)
        return 2
    spec = PipelineSpec(PIPELINE, args.engine)
    print(f"{PIPELINE}: {build(spec).summary()}")
    tasks = [(s.name, stem, image, mask, spec, args.click) for s in sets for stem, image, mask in s.objects()]
    t0 = time.perf_counter()
    rows = map_tasks(one, tasks, args.workers)
    print(f"{len(rows)} objects, {time.perf_counter() - t0:.0f} s, {args.workers} workers; "
          f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"objects with >= {MIN_THIN_PX} thin truth pixels (parts <= ~8 px wide):")
    print(f"{'set':10s} {'n':>4s} {'thin recall':>12s} {'box mIoU':>9s}")
    thin_rows = [r for r in rows if r["thin_px"] >= MIN_THIN_PX]
    for name in [s.name for s in sets] + ["all"]:
        rs = [r for r in thin_rows if name in ("all", r["set"])]
        if rs:
            print(f"{name:10s} {len(rs):4d} {np.mean([r['recall'] for r in rs]):12.3f} "
                  f"{np.mean([r['iou'] for r in rs]):9.3f}")
    print("keep least:")
    for r in sorted(thin_rows, key=lambda r: r["recall"])[: args.worst]:
        print(f"  {r['set']}/{r['stem']}: thin recall {r['recall']:.2f} of {r['thin_px']} px, box IoU {r['iou']:.3f}")
    clicked = [r for r in thin_rows if "added" in r]
    if clicked:
        added = sum(r["added"] for r in clicked)
        share = sum(r["added_object"] for r in clicked) / max(added, 1)
        print(f"one click on the missed thin part farthest from the mask ({len(clicked)} objects, "
              f"median distance {np.median([r['click_d'] for r in clicked]):.0f} px):")
        print(f"  added {added} px, {share:.3f} of them object; mIoU {np.mean([r['iou'] for r in clicked]):.4f}"
              f" -> {np.mean([r['iou_after'] for r in clicked]):.4f}; lowered IoU by > 0.01: "
              f"{sum(r['iou_after'] - r['iou'] < -0.01 for r in clicked)}, raised it by > 0.01: "
              f"{sum(r['iou_after'] - r['iou'] > 0.01 for r in clicked)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
