"""Memory held by the undo history: 100 edits on an 8000×6000 image.

The edits mimic a real session: per object a box → coarse result, the refined result
replacing it (only the boundary changes), a few click corrections (local changes) and
brush / eraser drags (merged into one step per drag, as the app does). Model results
are blobs of 1500–3500 px with a jagged, hair-like boundary — realistic DIS sizes and
hard to compress.

Two modes: ``sync`` (commands compress their pixels at once) and ``deferred`` (the UI's
way: ``compress=False`` + a background ``Compactor``), to show push latency on the UI
thread as well as memory.

Prints: commands kept, total ``nbytes`` of the history, the objects' edit layers
(region-based windows of the painted / erased pixels, docs/adr/0130), traced Python memory the
history holds (tracemalloc, the objects' own masks excluded), RSS growth, and the time
per kind of edit. Run:  python benchmarks/undo_memory.py [--size 8000x6000] [--edits 100]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dis_annotator.annotation import (  # noqa: E402
    AddObject,
    Compactor,
    Document,
    History,
    PaintMask,
    SetMask,
    stroke_mask,
)


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Scene:
    """Generates object masks the size and roughness of real model results."""

    def __init__(self, shape: tuple[int, int], seed: int = 0) -> None:
        self.shape = shape
        self.rng = np.random.default_rng(seed)

    def object_field(self) -> tuple[tuple[int, int, int, int], np.ndarray]:
        h, w = self.shape
        bw, bh = (int(v) for v in self.rng.integers(1500, 3500, 2))
        x0, y0 = int(self.rng.integers(0, w - bw)), int(self.rng.integers(0, h - bh))
        coarse = self.rng.standard_normal((12, 12)).astype(np.float32)
        field = cv2.resize(coarse, (bw, bh), interpolation=cv2.INTER_CUBIC)
        yy, xx = np.mgrid[:bh, :bw].astype(np.float32)
        # a centred blob modulated by the random field
        r = ((xx / bw - 0.5) ** 2 + (yy / bh - 0.5) ** 2) * 4
        return (x0, y0, bw, bh), field * 0.35 + (1 - r)

    def result(self, box_field, roughness: float, seed: int) -> np.ndarray:
        (x0, y0, bw, bh), field = box_field
        rng = np.random.default_rng(seed)
        fine = rng.standard_normal((bh // 4, bw // 4)).astype(np.float32)
        fine = cv2.resize(fine, (bw, bh), interpolation=cv2.INTER_LINEAR)
        out = np.zeros(self.shape, bool)
        out[y0 : y0 + bh, x0 : x0 + bw] = field + roughness * fine > 0.5
        return out

    def stroke(self, box_field) -> tuple[list[tuple[float, float]], float]:
        (x0, y0, bw, bh), _ = box_field
        n = int(self.rng.integers(15, 60))
        x = x0 + bw * (0.2 + 0.6 * self.rng.random())
        y = y0 + bh * (0.2 + 0.6 * self.rng.random())
        pts = []
        for _ in range(n):
            x += self.rng.normal(0, 25)
            y += self.rng.normal(0, 25)
            pts.append((x, y))
        return pts, float(self.rng.uniform(4, 40))


def run(width: int, height: int, n_edits: int, seed: int, deferred: bool) -> None:
    scene = Scene((height, width), seed)
    doc = Document("bench.png", width, height)
    hist = History(doc)
    compactor = Compactor() if deferred else None
    compress = not deferred
    times: dict[str, list[float]] = {}

    def push(kind: str, cmd) -> None:
        t = time.perf_counter()
        hist.push(cmd)
        times.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
        if compactor is not None and hist.commands and hist.commands[-1] is cmd:
            compactor.submit(cmd)

    gc.collect()
    rss0 = rss_mb()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    edits = 0
    kinds: dict[str, int] = {}
    while edits < n_edits:
        obj = doc.new_object()
        push("add object", AddObject(obj, compress=compress))
        edits += 1
        bf = scene.object_field()
        plan = ["coarse", "refined", "click", "brush", "click", "eraser", "brush", "brush"]
        for step in plan:
            if edits >= n_edits:
                break
            if step == "coarse":
                cmd = SetMask(obj.id, scene.result(bf, 0.6, edits), text="coarse", compress=compress)
            elif step == "refined":
                cmd = SetMask(obj.id, scene.result(bf, 0.25, edits), text="refined", compress=compress)
            elif step == "click":
                # a correction: the mask changes inside a local window around the click
                m = obj.mask.copy()
                (x0, y0, bw, bh), _ = bf
                cx = x0 + int(scene.rng.integers(0, bw - 400))
                cy = y0 + int(scene.rng.integers(0, bh - 400))
                win = scene.result(((cx, cy, 400, 400), scene.rng.standard_normal((400, 400)).astype(np.float32) + 0.5), 0.3, edits)
                m[cy : cy + 400, cx : cx + 400] = win[cy : cy + 400, cx : cx + 400]
                cmd = SetMask(obj.id, m, text="click", compress=compress)
                del m, win
            else:
                pts, radius = scene.stroke(bf)
                # a drag arrives as segments that merge into one command
                key = f"drag-{edits}"
                for a, b in zip(pts[:-1], pts[1:], strict=True):
                    push(step + " segment", PaintMask(obj.id, stroke_mask(doc.shape, [a, b], radius), step == "brush", merge_key=key))
                kinds[step] = kinds.get(step, 0) + 1
                edits += 1
                continue
            push(step, cmd)
            del cmd
            kinds[step] = kinds.get(step, 0) + 1
            edits += 1
    del bf, obj  # the last object's generator field is not history memory
    if compactor is not None:
        t = time.perf_counter()
        compactor.flush()
        compactor.close()
        print(f"[deferred] compactor finished {time.perf_counter() - t:.1f} s after the last edit")
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0] - base
    # What the annotation package itself still holds, minus the live masks (allocated
    # in document.py): i.e. the packed patches and command bookkeeping.
    snap = tracemalloc.take_snapshot().filter_traces([
        tracemalloc.Filter(True, "*dis_annotator/annotation/*"),
        tracemalloc.Filter(False, "*dis_annotator/annotation/document.py"),
    ])
    by_package = sum(st.size for st in snap.statistics("filename"))
    tracemalloc.stop()
    masks = sum(o.mask.nbytes for o in doc.objects)
    layers = sum(o.edits.nbytes for o in doc.objects)  # edit layers: region-based windows
    held = hist.nbytes
    print(f"mode: {'deferred (compress=False + Compactor thread)' if deferred else 'sync (compress=True)'}")
    print(f"image {width}x{height}, {edits} edits ({', '.join(f'{k} {v}' for k, v in kinds.items())}), "
          f"{len(doc.objects)} objects, {hist.count} history commands")
    print(f"history nbytes (sum of command.nbytes): {held / 1e6:.2f} MB")
    print(f"edit layers held by the objects (painted/erased windows): {layers / 1e6:.2f} MB "
          f"({sum(bool(o.edits) for o in doc.objects)} objects with edits)")
    print(f"tracemalloc: allocations held by dis_annotator.annotation outside the live masks: "
          f"{by_package / 1e6:.2f} MB")
    print(f"tracemalloc: all traced growth {traced / 1e6:.1f} MB - {masks / 1e6:.1f} MB live object "
          f"masks = {(traced - masks) / 1e6:.2f} MB (history + this script's generator leftovers)")
    print(f"RSS growth: {rss_mb() - rss0:.0f} MB (includes the {masks / 1e6:.0f} MB of live masks "
          f"and allocator slack)")
    naive = edits * width * height * 2 / 1e6
    print(f"for comparison, full old+new bool masks per edit would be {naive:.0f} MB")
    for k, v in times.items():
        print(f"  {k:16s} n={len(v):4d}  median {statistics.median(v):7.1f} ms  max {max(v):7.1f} ms")
    # sanity: undo everything and redo everything
    t = time.perf_counter()
    while hist.undo():
        pass
    assert not doc.objects
    while hist.redo():
        pass
    print(f"undo all + redo all: {(time.perf_counter() - t):.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="8000x6000")
    ap.add_argument("--edits", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mode", choices=["sync", "deferred", "both"], default="both")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.lower().split("x"))
    for mode in (["sync", "deferred"] if a.mode == "both" else [a.mode]):
        run(w, h, a.edits, a.seed, deferred=mode == "deferred")
        print()


if __name__ == "__main__":
    main()
