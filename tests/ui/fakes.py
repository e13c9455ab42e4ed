"""Stand-ins for the learned engine and the network in window tests (never real I/O)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from dis_annotator.engine.classical import ClassicalRefiner, GrabCutStage
from dis_annotator.engine.pipeline import Pipeline
from dis_annotator.engine.types import MaskOutput

OFFLINE = ("mobile_sam: cannot reach the server (offline?) (ConnectionError). Download it by hand from "
           "https://example.invalid/mobile_sam.pt (browser, or: curl -L -o mobile_sam.pt URL), then run: "
           "dis-annotator models import mobile_sam.pt --name mobile_sam.")


class FakeSam(GrabCutStage):
    """GrabCut under a learned name: what the window sees once SAM weights are in."""

    name = "sam-fake"
    learned = True


class EmptyStage(GrabCutStage):
    """Finds nothing, whatever the box."""

    def predict(self, image, prompt, previous):
        return MaskOutput(mask=np.zeros(image.array.shape[:2], bool))


class SlowStage(GrabCutStage):
    """GrabCut after a pause (long enough to see and cancel the request)."""

    delay = 1.5

    def predict(self, image, prompt, previous):
        time.sleep(self.delay)
        return super().predict(image, prompt, previous)


class Weights:
    """A fake weights folder: ``installed`` names; downloads succeed or fail on demand."""

    def __init__(self) -> None:
        self.installed: set[str] = set()
        self.error: Exception | None = None
        self.calls: list[str] = []
        self.release = threading.Event()
        self.release.set()

    def locate(self, name: str) -> Path | None:
        return Path(f"/fake/{name}.pt") if name in self.installed else None

    def download(self, name, progress=None, should_cancel=None):
        self.calls.append(name)
        total = 40_000_000
        for done in range(0, total + 1, 10_000_000):
            if should_cancel is not None and should_cancel():
                from dis_annotator.engine.weights import DownloadCancelled

                raise DownloadCancelled("cancelled")
            if progress is not None:
                progress(done, total)
            time.sleep(0.02)
        self.release.wait(10)
        if self.error is not None:
            raise self.error
        self.installed.add(name)
        return Path(f"/fake/{name}.pt")

    def import_model(self, path, name=None):
        self.installed.add(name or "mobile_sam")
        return Path("/fake/mobile_sam.pt")

    def factory(self):
        """Classical until a SAM is "installed", then the learned stand-in."""
        coarse = FakeSam() if self.installed else GrabCutStage()
        return Pipeline(coarse, ClassicalRefiner())

    def attach(self, window) -> None:
        m = window.models
        m.download_fn, m.import_fn, m.locate_fn = self.download, self.import_model, self.locate
