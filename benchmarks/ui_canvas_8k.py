"""How the canvas and the undo history behave on an 8000×6000 image (offscreen Qt).

Prints: window repaint times (fit, 100 %, zoomed out and after pans), overlay update time
for a brush stroke and for a model result, the undo memory of 100 edits through the
app's QUndoStack, and undo/redo times.

    QT_QPA_PLATFORM=offscreen python benchmarks/ui_canvas_8k.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PySide6.QtCore import QPointF  # noqa: E402

from dis_annotator.annotation import AddObject, Document, PaintMask, SetMask, stroke_mask  # noqa: E402
from dis_annotator.ui.app import application  # noqa: E402
from dis_annotator.ui.canvas.view import CanvasView  # noqa: E402
from dis_annotator.ui.history import Histories  # noqa: E402

W, H = 8000, 6000


def ms(f, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    app = application()
    rng = np.random.default_rng(0)
    # A smooth synthetic photo (random noise would make every tile incompressible anyway).
    yy, xx = np.mgrid[0:H:8, 0:W:8]
    small = np.stack([(xx * 0.03) % 255, (yy * 0.04) % 255, ((xx + yy) * 0.02) % 255], -1).astype(np.uint8)
    rgb = np.ascontiguousarray(np.kron(small, np.ones((8, 8, 1), np.uint8)))
    view = CanvasView()
    view.resize(1600, 1000)
    view.show()
    for _ in range(5):
        app.processEvents()
    t = time.perf_counter()
    view.set_image(rgb)
    print(f"set_image (pyramid build) 8000x6000: {(time.perf_counter() - t) * 1000:.0f} ms")
    first = ms(view.repaint, 1)
    print(f"first repaint at fit ({view.scale * 100:.1f} %, tiles converted lazily): {first:.0f} ms")
    print(f"repaint at fit: {ms(view.repaint):.1f} ms")
    view.zoom_at(QPointF(800, 500), 1 / view.scale)
    ms(view.repaint, 1)
    print(f"repaint at 100 %: {ms(view.repaint):.1f} ms")
    view.pan_by(-40, -25)
    print(f"repaint after a 40 px pan at 100 %: {ms(lambda: (view.pan_by(-3, 0), view.repaint())):.1f} ms")
    view.fit()
    view.zoom_at(QPointF(800, 500), 0.5)
    ms(view.repaint, 1)
    print(f"repaint zoomed out ({view.scale * 100:.1f} %): {ms(view.repaint):.1f} ms")
    view.fit()

    doc = Document("/tmp/bench.png", W, H)
    hist = Histories()
    rec = doc.new_object()
    hist.push(doc, AddObject(rec))
    obj = doc.objects[0]
    mask = np.zeros((H, W), bool)
    mask[1500:4500, 2000:6000] = rng.random((3000, 4000)) > 0.02
    t = time.perf_counter()
    hist.push(doc, SetMask(obj.id, mask))
    push_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    view.overlay.set_mask(obj.id, obj.mask, obj.color)
    ui_ms = (time.perf_counter() - t) * 1000
    while view.overlay.busy():
        app.processEvents()
    full_ms = (time.perf_counter() - t) * 1000
    print(f"model result 4000x3000 object: SetMask push {push_ms:.0f} ms; overlay: {ui_ms:.0f} ms on the "
          f"UI thread, layer ready after {full_ms:.0f} ms (background build)")
    view.overlay.async_pixels = 10**12
    print(f"same overlay build synchronously: {ms(lambda: view.overlay.set_mask(obj.id, obj.mask, obj.color), 3):.0f} ms")
    print(f"repaint at fit with the object: {ms(view.repaint):.1f} ms")

    strokes = []
    for _ in range(99):
        x0, y0 = rng.uniform(500, 7500), rng.uniform(500, 5500)
        pts = [(x0 + k * 6.0, y0 + k * 3.0) for k in range(40)]
        region = stroke_mask(doc.shape, pts, 20)
        t = time.perf_counter()
        hist.push(doc, PaintMask(obj.id, region, value=True))
        rect = region[0]
        t2 = time.perf_counter()
        view.overlay.set_mask(obj.id, obj.mask, obj.color, region=tuple(rect))
        t3 = time.perf_counter()
        strokes.append(((t2 - t) * 1000, (t3 - t2) * 1000))
    push = statistics.median(s[0] for s in strokes)
    over = statistics.median(s[1] for s in strokes)
    print(f"brush stroke (40 samples, r=20): push {push:.1f} ms, overlay region update {over:.2f} ms (medians)")
    stack = hist.stack(doc)
    print(f"history: {stack.count()} commands (1 add, 1 model result, 99 brush strokes) hold "
          f"{hist.nbytes(doc) / 1e6:.2f} MB on an 8000x6000 image")
    t = time.perf_counter()
    while stack.canUndo():
        stack.undo()
    undo_all = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    while stack.canRedo():
        stack.redo()
    redo_all = (time.perf_counter() - t) * 1000
    print(f"undo all {stack.count()}: {undo_all:.0f} ms, redo all: {redo_all:.0f} ms")
    app.processEvents()
    switch_times(rgb, view)


def switch_times(rgb: np.ndarray, view: CanvasView) -> None:
    """Opening the next 8K JPEG cold vs decoded in the background (Session.preload)."""
    import tempfile

    from PIL import Image

    from dis_annotator.ui.session import Session

    with tempfile.TemporaryDirectory() as d:
        for i in range(3):
            Image.fromarray(np.roll(rgb, i * 500, axis=1)).save(Path(d) / f"p{i}.jpg", quality=90)
        s = Session()
        s.open_path(Path(d))
        t = time.perf_counter()
        o = s.open(0)
        view.set_image(o.rgb, o.levels)
        cold = (time.perf_counter() - t) * 1000
        s.preload(s.next_path(0))
        time.sleep(3)  # the user looks at the image meanwhile
        t = time.perf_counter()
        o = s.open(1)
        view.set_image(o.rgb, o.levels)
        warm = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        o = s.open(0)
        view.set_image(o.rgb, o.levels)
        back = (time.perf_counter() - t) * 1000
    print(f"switch to an 8K JPEG (decode, document, display pyramid) on the UI thread: cold {cold:.0f} ms, preloaded next {warm:.0f} ms, "
          f"back to previous {back:.0f} ms")


if __name__ == "__main__":
    main()
