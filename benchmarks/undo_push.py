"""UI-thread time of pushing an 8K model result onto the app's undo stack, both ways.

What ``Controller.on_result`` does on the UI thread when a result arrives: push a
``SetMask`` through ``ui/history.Histories`` (a ``QUndoStack``), whose ``redo`` diffs the
new mask against the object's, writes the changed window and stores it as a patch.

* ``sync``     — ``SetMask(compress=True)``: the patch is zlib-compressed inside the push
  (what the app did before issue 11);
* ``deferred`` — ``SetMask(compress=False)``: ``Histories.push`` hands the command to its
  background compactor, which compresses it a moment later (what the app does,
  docs/adr/0061): the UI thread pays the push plus the hand-over, zlib runs elsewhere.

Per mode and kind of result (``first``: an empty object gets its first mask;
``replace``: the refined result replaces the coarse one), it prints the median and max
wall-clock ms and the UI thread's own CPU ms (``time.thread_time``, immune to other
processes), and for context the overlay update the same change triggers (equal in both
modes). Results are blobs of 1500–3500 px with a jagged, hair-like boundary
(``undo_memory.Scene``): realistic DIS sizes and hard to compress.

Run:  QT_QPA_PLATFORM=offscreen python benchmarks/undo_push.py [--size 8000x6000] [--objects 8]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from undo_memory import Scene  # noqa: E402

from dis_annotator.annotation.commands import AddObject, SetMask  # noqa: E402
from dis_annotator.annotation.document import Document  # noqa: E402


def run(width: int, height: int, objects: int, seed: int, deferred: bool) -> dict[str, list]:
    from PySide6.QtGui import QGuiApplication

    from dis_annotator.ui.canvas.overlay import OverlayRenderer
    from dis_annotator.ui.history import Histories

    _app = QGuiApplication.instance() or QGuiApplication([])
    scene = Scene((height, width), seed)
    doc = Document("bench.png", width, height)
    histories = Histories()
    histories.activate(doc)
    overlay = OverlayRenderer()
    times: dict[str, list] = {}
    changes: list = []
    doc.subscribe(changes.append)

    for k in range(objects):
        rec = doc.new_object()
        histories.push(doc, AddObject(rec))
        field = scene.object_field()
        for kind, roughness in (("first", 0.6), ("replace", 0.25)):
            result = scene.result(field, roughness, seed * 1000 + k)
            cmd = SetMask(rec.id, result, text=kind, compress=not deferred)
            gc.collect()
            changes.clear()
            w0, c0 = time.perf_counter(), time.thread_time()
            histories.push(doc, cmd)
            w1, c1 = time.perf_counter(), time.thread_time()
            obj = doc.get(rec.id)
            for ch in changes:  # what the controller's change listener then does
                region = tuple(ch.rect) if ch.kind == "mask" and ch.rect is not None else None
                overlay.set_mask(rec.id, obj.mask, obj.color, obj.visible, region=region)
            w2, c2 = time.perf_counter(), time.thread_time()
            times.setdefault(kind, []).append(((w1 - w0) * 1e3, (c1 - c0) * 1e3,
                                               (w2 - w1) * 1e3, (c2 - c1) * 1e3))
            del result, cmd
            # let the compactor and the overlay's background build finish before the next
            # result, as in the app, where results arrive seconds apart
            histories.flush()
            while overlay.busy():
                _app.processEvents()
                time.sleep(0.005)
    histories.close()
    held = histories.nbytes(doc)
    times["_held_mb"] = [held / 1e6]
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="8000x6000")
    ap.add_argument("--objects", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.lower().split("x"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"image {w}x{h}, {a.objects} objects x (first result, replacing result); "
          f"load average {load:.1f} on {os.cpu_count()} cores")
    for mode in ("sync", "deferred"):
        t = run(w, h, a.objects, a.seed, deferred=mode == "deferred")
        label = ("sync (compress=True on the UI thread)" if mode == "sync"
                 else "deferred (compress=False + background compactor)")
        print(f"{label}: history holds {t.pop('_held_mb')[0]:.1f} MB after compaction")
        for kind, rows in t.items():
            cols = list(zip(*rows, strict=True))
            wall, cpu, ov_wall, ov_cpu = (statistics.median(c) for c in cols)
            print(f"  {kind:8s} push: median {wall:6.1f} ms wall / {cpu:6.1f} ms UI-thread CPU, "
                  f"max {max(cols[0]):6.1f} / {max(cols[1]):6.1f}   "
                  f"(overlay update after it: median {ov_wall:5.1f} / {ov_cpu:5.1f} ms)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average at the end {load:.1f}")


if __name__ == "__main__":
    main()
