"""The inference thread: supersede, stale drop, partial-then-final, and the UI-stall figure."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QTimer

from dis_annotator.engine.classical import ClassicalRefiner, GrabCutStage
from dis_annotator.engine.pipeline import Pipeline
from dis_annotator.engine.types import Box, ImageData, Prompt
from dis_annotator.ui.worker import InferenceWorker
from tests.ui.conftest import classical_pipeline, scene
from tests.ui.drive import drag, wait_idle


class SlowRefiner:
    """The real classical refiner, run ``repeats`` times: real work, just more of it."""

    name = "guided-filter-x"
    learned = False

    def __init__(self, repeats: int = 6) -> None:
        self.inner = ClassicalRefiner()
        self.repeats = repeats

    def refine(self, image, coarse, prompt):
        out = None
        for _ in range(self.repeats):
            out = self.inner.refine(image, coarse, prompt)
        return out


@pytest.fixture
def worker(qtbot):
    w = InferenceWorker(classical_pipeline)
    ready = []
    w.pipeline_ready.connect(lambda *a: ready.append(a))
    w.start()
    qtbot.waitUntil(lambda: bool(ready), timeout=20000)
    yield w
    w.stop()


def test_newer_request_supersedes_older_and_partial_comes_first(qtbot, worker):
    img, _ = scene(0)
    image = ImageData(img)
    events = []
    worker.partial.connect(lambda r, tag: events.append(("partial", r.generation, tag)))
    worker.result.connect(lambda r, tag: events.append(("result", r.generation, tag)))
    g1 = worker.submit(image, Prompt(box=Box(115, 75, 300, 225)), "obj", tag="old")
    g2 = worker.submit(image, Prompt(box=Box(120, 80, 295, 220)), "obj", tag="new")
    assert g2 == g1 + 1
    qtbot.waitUntil(lambda: any(e[0] == "result" for e in events), timeout=20000)
    qtbot.waitUntil(lambda: not worker.busy(), timeout=20000)
    qtbot.wait(50)
    # Nothing of the superseded request is ever shown; the newer one shows coarse, then
    # refined (before its uncertainty estimate), then final.
    assert all(tag == "new" and gen == g2 for _, gen, tag in events)
    assert [e[0] for e in events] == ["partial", "partial", "result"]


def test_failure_is_reported_and_the_thread_lives_on(qtbot, worker):
    img, _ = scene(0)
    image = ImageData(img)
    failures, results = [], []
    worker.failed.connect(lambda *a: failures.append(a))
    worker.result.connect(lambda r, tag: results.append(r))
    worker.submit(image, Prompt(box=Box(500, 500, 600, 600)), "a")  # outside the image
    qtbot.waitUntil(lambda: bool(failures), timeout=20000)
    assert "ValueError" in failures[0][2]
    worker.submit(image, Prompt(box=Box(115, 75, 300, 225)), "b")
    qtbot.waitUntil(lambda: bool(results), timeout=20000)
    assert results[0].mask.any()


def _measure_stall(qtbot, w, box) -> tuple[float, float, float, int]:
    """While one prompt runs end to end: the longest heartbeat gap (wall ms), the most
    UI-thread CPU time spent inside one gap (ms), the run time (s) and the beat count."""
    doc = w.controller.doc
    n = len(doc)
    beats: list[tuple[float, float]] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: beats.append((time.perf_counter(), time.thread_time())))
    timer.start()
    qtbot.wait(50)
    t0 = time.perf_counter()
    drag(qtbot, w, *box)
    qtbot.waitUntil(lambda: len(doc) == n + 1 and doc.objects[-1].mask.any(), timeout=60000)
    wait_idle(qtbot, w)
    qtbot.wait(100)  # include applying the result, repainting and autosaving
    timer.stop()
    run_s = time.perf_counter() - t0
    b = np.array([x for x in beats if x[0] >= t0 - 0.01])
    gaps = np.diff(b, axis=0) * 1000
    return float(gaps[:, 0].max()), float(gaps[:, 1].max()), run_s, len(gaps)


def test_ui_never_stalls_while_the_pipeline_runs(qtbot, make_window, tmp_path):
    """Heartbeat every 5 ms on the UI thread while a slow (real) pipeline runs in the worker.

    Two figures per run: the longest wall-clock gap between beats (what the user feels)
    and the most CPU time the UI thread itself spent inside one gap (work we put on the
    UI thread, immune to other processes). The CPU figure must stay under 100 ms in every
    run. The wall figure must too, for the best of up to three runs (CPU contention from
    other processes is transient, a blocking call is not) — except on a machine so
    overloaded (load average > 3 per core) that no program could meet it; then it is
    printed, not asserted.
    """
    big = np.kron(scene(3)[0], np.ones((4, 4, 1), np.uint8))  # 1600×1200
    path = tmp_path / "big.png"
    Image.fromarray(big).save(path)
    w = make_window(lambda: Pipeline(GrabCutStage(max_work_pixels=400_000), SlowRefiner(repeats=3)))
    assert w.open_path(path)
    wait_idle(qtbot, w)
    boxes = [((460, 300), (1200, 900)), ((450, 290), (1210, 910)), ((470, 310), (1190, 890))]
    walls = []
    for box in boxes:
        wall, cpu, run_s, n = _measure_stall(qtbot, w, box)
        walls.append(wall)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        print(f"\nUI stall: longest heartbeat gap {wall:.1f} ms (UI-thread CPU in one gap "
              f"{cpu:.1f} ms) over a {run_s * 1000:.0f} ms pipeline run ({n} beats, 5 ms timer, "
              f"load average {load:.1f} on {os.cpu_count()} cores)")
        assert run_s > 0.3, "the pipeline must be slow enough for the measurement to mean something"
        assert cpu < 100
        if wall < 100:
            break
    overloaded = load > 3 * (os.cpu_count() or 1)
    if not overloaded:
        assert min(walls) < 100
    elif min(walls) >= 100:
        print(f"wall-clock figure not asserted: load average {load:.1f} on {os.cpu_count()} cores")


def test_same_object_id_in_two_documents_are_separate_slots(qtbot, worker):
    """A request carries the bare object id; the document makes its slot."""
    img, _ = scene(0)
    image = ImageData(img)
    results = []
    worker.result.connect(lambda r, tag: results.append((r.object_id, tag)))
    worker.submit(image, Prompt(box=Box(115, 75, 300, 225)), "obj", tag="a", document="a.png")
    worker.submit(image, Prompt(box=Box(120, 80, 295, 220)), "obj", tag="b", document="b.png")
    qtbot.waitUntil(lambda: len(results) == 2, timeout=40000)
    assert sorted(results) == [("obj", "a"), ("obj", "b")]  # neither superseded the other


def test_rebuild_swaps_the_pipeline_and_queued_requests_run_on_the_new_one(qtbot, worker):
    from tests.ui.fakes import FakeSam

    img, _ = scene(0)
    ready, results = [], []
    worker.pipeline_ready.connect(lambda rows, notes, dev: ready.append(rows))
    worker.result.connect(lambda r, tag: results.append(r))
    worker.rebuild(lambda: Pipeline(FakeSam(), ClassicalRefiner()))
    worker.submit(ImageData(img), Prompt(box=Box(115, 75, 300, 225)), "obj")
    qtbot.waitUntil(lambda: bool(results), timeout=20000)
    assert ready and ready[0][0]["name"] == "sam-fake" and ready[0][0]["learned"]
    assert results[0].provenance["stages"][0]["name"] == "sam-fake"


def test_a_failed_rebuild_keeps_the_old_pipeline(qtbot, worker):
    failures = []
    worker.failed.connect(lambda *a: failures.append(a))
    old = worker.pipeline

    def broken():
        raise RuntimeError("weights vanished")

    worker.rebuild(broken)
    qtbot.waitUntil(lambda: bool(failures), timeout=20000)
    assert "could not switch models" in failures[0][2] and "weights vanished" in failures[0][2]
    assert worker.pipeline is old
