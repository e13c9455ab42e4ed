"""The inference thread: the only thread that touches the pipeline (and torch).

The UI thread calls :meth:`InferenceWorker.submit` / :meth:`prepare` / :meth:`prefetch`,
which only enqueue and return. Results come back as Qt signals, queued onto the UI
thread. Scheduling, in order of priority:

1. prompts — one slot per object: a newer request for the same object replaces a queued
   one, and makes a running one stop at the next stage boundary (``is_current``);
2. ``prepare`` for the image on screen (SAM embedding);
3. ``prefetch`` of the next image, abandoned as soon as a prompt arrives.

Every request carries a generation; a result whose generation is no longer the latest
for its object is dropped here, never shown.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread, Signal

from dis_annotator.engine.pipeline import Pipeline
from dis_annotator.engine.types import (
    ImageData,
    MaskOutput,
    Prompt,
    Request,
    Result,
    Superseded,
    object_slot,
)
from dis_annotator.io import load_image


@dataclass
class Job:
    request: Request
    tag: Any = None  # opaque for the caller (e.g. which document the object lives in)


class InferenceWorker(QThread):
    """Owns the pipeline; builds it with ``factory`` inside the thread."""

    pipeline_ready = Signal(list, list, str)  # describe(), notes, device
    pipeline_failed = Signal(str)
    activity = Signal(str)  # "encoding", "coarse", "correcting", "refining", "" (idle)
    partial = Signal(object, object)  # Result, tag
    result = Signal(object, object)  # Result, tag
    failed = Signal(str, int, str, object)  # object id, generation, message, tag
    prepared = Signal(str, float)  # image key, ms

    def __init__(self, factory: Callable[[], Pipeline]) -> None:
        super().__init__()
        self._factory = factory
        self.device = "cpu"
        self.pipeline: Pipeline | None = None
        self._cv = threading.Condition()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._latest: dict[str, int] = {}
        self._prepare: ImageData | None = None
        self._prefetch: ImageData | Path | None = None
        self._stop = False
        self._running: str | None = None
        self._rebuild = False

    def rebuild(self, factory: Callable[[], Pipeline] | None = None) -> None:
        """Build the pipeline anew in this thread (after a download, or another engine
        chosen), before the next request; ``pipeline_ready`` says when it is in place.
        The old pipeline serves nothing in between: queued prompts wait for the new one."""
        with self._cv:
            if factory is not None:
                self._factory = factory
            self._rebuild = True
            self._cv.notify_all()

    # --- UI thread API ---------------------------------------------------------------
    # One slot per object: ``Request(object_id=…, document=…).slot`` (docs/adr/0071).
    def next_generation(self, slot: str) -> int:
        with self._cv:
            gen = self._latest.get(slot, 0) + 1
            self._latest[slot] = gen
            return gen

    def submit(
        self,
        image: ImageData,
        prompt: Prompt,
        object_id: str,
        previous: MaskOutput | None = None,
        tag: Any = None,
        document: str = "",
    ) -> int:
        """Queue a pipeline run for object ``object_id`` of ``document``; returns its
        generation. Never blocks."""
        req = Request(image=image, prompt=prompt, object_id=object_id, previous=previous,
                      document=document)
        req.generation = self.next_generation(req.slot)
        with self._cv:
            self._jobs.pop(req.slot, None)
            self._jobs[req.slot] = Job(req, tag)
            self._cv.notify_all()
        return req.generation

    def cancel(self, object_id: str, document: str = "") -> None:
        """Forget queued work for the object and stop a running one at the next stage."""
        slot = object_slot(object_id, document)
        self.next_generation(slot)
        with self._cv:
            self._jobs.pop(slot, None)

    def is_latest(self, slot: str, generation: int) -> bool:
        with self._cv:
            return self._latest.get(slot) == generation

    def prepare(self, image: ImageData | None) -> None:
        with self._cv:
            self._prepare = image
            self._cv.notify_all()

    def prefetch(self, image: ImageData | Path | None) -> None:
        """Pre-encode the next image (a path is read here, in this thread, when needed)."""
        with self._cv:
            self._prefetch = image
            self._cv.notify_all()

    def busy(self) -> bool:
        with self._cv:
            return bool(self._jobs) or self._running is not None

    def stop(self, wait_ms: int | None = None) -> None:
        """Ask the thread to end and wait for it (by default as long as it takes).

        A pipeline still being built (torch importing, weights loading) cannot be
        interrupted; destroying its QThread while it runs aborts the process, so closing
        the window waits for it instead.
        """
        with self._cv:
            self._stop = True
            self._jobs.clear()
            self._latest = {k: v + 1 for k, v in self._latest.items()}
            self._cv.notify_all()
        if wait_ms is None:
            self.wait()
        else:
            self.wait(wait_ms)

    # --- inference thread --------------------------------------------------------------
    def run(self) -> None:  # noqa: D401 - QThread entry point
        _leave_a_core_to_the_ui()
        try:
            self.pipeline = self._factory()
            _leave_a_core_to_the_ui()  # again: the factory may have imported torch
        except Exception as exc:  # a broken install must not take the app down
            self.pipeline_failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.device = self.pipeline.device
        self.pipeline_ready.emit(self.pipeline.describe(), list(self.pipeline.notes), self.device)
        while True:
            with self._cv:
                while not (self._stop or self._rebuild or self._jobs or self._prepare or self._prefetch):
                    self._cv.wait()
                if self._stop:
                    return
                if self._rebuild:
                    self._rebuild = False
                    work = self._run_rebuild
                elif self._jobs:
                    _, job = self._jobs.popitem(last=False)
                    self._running = job.request.slot
                    work: Callable[[], None] = lambda job=job: self._run_job(job)  # noqa: E731
                elif self._prepare is not None:
                    image, self._prepare = self._prepare, None
                    work = lambda image=image: self._run_prepare(image, prefetch=False)  # noqa: E731
                else:
                    image, self._prefetch = self._prefetch, None
                    work = lambda image=image: self._run_prepare(image, prefetch=True)  # noqa: E731
            try:
                work()
            finally:
                with self._cv:
                    self._running = None
                self.activity.emit("")

    def _run_rebuild(self) -> None:
        self.activity.emit("loading")
        try:
            pipeline = self._factory()
        except Exception as exc:  # noqa: BLE001 - the old pipeline stays in service
            traceback.print_exc()
            self.failed.emit("", 0, f"could not switch models: {_message(exc)}", None)
            return
        self.pipeline = pipeline
        self.device = pipeline.device
        self.pipeline_ready.emit(pipeline.describe(), list(pipeline.notes), self.device)

    def _current(self, req: Request) -> Callable[[], bool]:
        def check() -> bool:
            with self._cv:
                return not self._stop and self._latest.get(req.slot) == req.generation

        return check

    def _run_job(self, job: Job) -> None:
        req = job.request
        assert self.pipeline is not None
        check = self._current(req)
        if not check():
            return
        self.activity.emit("correcting" if self.pipeline.corrects(req) else "coarse")

        def on_partial(res: Result) -> None:
            if check():
                self.partial.emit(res, job.tag)
                self.activity.emit("refining")

        try:
            res = self.pipeline.run(req, on_partial=on_partial, is_current=check)
        except Superseded:
            return
        except Exception as exc:  # noqa: BLE001 - shown in the UI; the thread lives on
            if not isinstance(exc, ValueError):  # ValueError: an unusable prompt, not a bug
                traceback.print_exc()
            if check():
                self.failed.emit(req.object_id, req.generation, _message(exc), job.tag)
            return
        if check():  # stale results are dropped, never shown
            self.result.emit(res, job.tag)

    def _run_prepare(self, image: ImageData | Path, prefetch: bool) -> None:
        assert self.pipeline is not None
        if isinstance(image, Path):
            if not self.pipeline.prefetches:
                return  # classical stages have no embedding to pre-compute
            try:
                image = ImageData(load_image(image), name=str(image))
            except Exception:  # noqa: BLE001 - the user will see the error on opening it
                return

        def check() -> bool:
            with self._cv:
                # A prefetch yields to any prompt; a prepare to a newer image.
                if self._stop:
                    return False
                return not self._jobs if prefetch else self._prepare is None

        self.activity.emit("pre-encoding next" if prefetch else "encoding")
        t0 = time.perf_counter()
        try:
            if prefetch:
                self.pipeline.prefetch(image, check)
            else:
                self.pipeline.prepare(image, check)
        except Superseded:
            return
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            self.failed.emit("", 0, f"preparing the image failed: {_message(exc)}", None)
            return
        self.prepared.emit(image.key, (time.perf_counter() - t0) * 1000.0)


def _leave_a_core_to_the_ui() -> None:
    """Cap the native thread pools of OpenCV and torch at (cores - 1).

    Inference saturating every core starves the UI thread of CPU, which users feel as
    a stutter even though the UI thread never waits on inference (docs/adr/0071).
    """
    import os
    import sys

    n = max(1, (os.cpu_count() or 2) - 1)
    cv2 = sys.modules.get("cv2")
    if cv2 is None:
        import cv2
    cv2.setNumThreads(n)
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() > n:
        torch.set_num_threads(n)


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, MemoryError) or "out of memory" in text.lower():
        return f"out of memory ({text or type(exc).__name__}); try a smaller image or the CPU"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
