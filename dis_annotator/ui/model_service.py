"""Getting weights from inside the app: one download (or import) at a time, off the UI
thread, shared by the first-run bar, the Models dialog and Settings (docs/adr/0140).

The functions that touch the network and the disk are attributes (``download_fn``,
``import_fn`` …) so tests inject fakes; by default they are those of
:mod:`dis_annotator.engine.weights`, imported on first use.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

SAM_NAMES = ("mobile_sam", "sam_vit_b", "sam_vit_l", "sam_vit_h")
DISPLAY = {"mobile_sam": "MobileSAM", "sam_vit_b": "SAM ViT-B", "sam_vit_l": "SAM ViT-L", "sam_vit_h": "SAM ViT-H"}


def display_name(name: str) -> str:
    return DISPLAY.get(name, name)


def size_text(size: int | None) -> str:
    """``40728226`` → "41 MB"; ``1249524607`` → "1.2 GB"; None → ""."""
    if not size:
        return ""
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


def first_line(error: str) -> str:
    """The reason of a download error, without the manual-download instructions or the
    exception's class name ("… (offline?) (ConnectionError)" → "… (offline?)")."""
    head = error.split(" Download it by hand", 1)[0].split("; Download it by hand", 1)[0]
    head = re.sub(r"\s*\(\w+(Error|Exception|Timeout)\)", "", head.strip().rstrip(".;"))
    return head.strip() or error


class _Job(QThread):
    """Runs ``fn`` in its own thread; ``progress(done, total, bytes/s)``, ``done(error)``."""

    progress = Signal(float, float, float)
    done = Signal(str)  # "" = ok, "cancelled", else the error

    def __init__(self, fn: Callable[..., Any], *args: Any, with_progress: bool = False) -> None:
        super().__init__()
        self.fn, self.args, self.with_progress = fn, args, with_progress
        self.cancelled = threading.Event()
        self.value: Any = None
        self._start: tuple[float, int] | None = None
        self._last_emit = 0.0

    def _progress(self, done: int, total: int | None = None) -> None:
        now = time.monotonic()
        if self._start is None:
            self._start = (now, done)  # a resumed download starts counting here
        t0, d0 = self._start
        if now - self._last_emit < 0.1 and (not total or done < total):
            return  # ~10 updates a second are plenty, and cheap for the UI thread
        self._last_emit = now
        speed = (done - d0) / (now - t0) if now > t0 else 0.0
        self.progress.emit(float(done), float(total or 0), float(speed))

    def run(self) -> None:
        try:
            if self.with_progress:
                self.value = self.fn(*self.args, progress=self._progress, should_cancel=self.cancelled.is_set)
            else:
                self.value = self.fn(*self.args)
        except Exception as exc:  # noqa: BLE001 - shown where the user started it
            if self.cancelled.is_set() or type(exc).__name__ == "DownloadCancelled":
                self.done.emit("cancelled")
            else:
                text = str(exc).strip() or type(exc).__name__
                self.done.emit(text if type(exc).__name__ in ("DownloadError", "WeightsError") else
                               f"{type(exc).__name__}: {text}")
            return
        self.done.emit("cancelled" if self.cancelled.is_set() else "")


class ModelService(QObject):
    """One weights job at a time. ``installed(name)`` fires after a download or an import
    succeeded — the window then rebuilds its pipeline."""

    started = Signal(str, str)  # name, "download" | "import"
    progress = Signal(str, float, float, float)  # name, done, total (0 = unknown), bytes/s
    finished = Signal(str, str, str)  # name, kind, error ("" = ok, "cancelled")
    installed = Signal(str)
    removed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.download_fn: Callable[..., Any] | None = None
        self.import_fn: Callable[..., Any] | None = None
        self.locate_fn: Callable[[str], Path | None] | None = None
        self.verify_fn: Callable[[str], Any] | None = None
        self.remove_fn: Callable[[str], Any] | None = None
        self.list_fn: Callable[[], list[Any]] | None = None
        self._job: _Job | None = None
        self._name = ""
        self._kind = ""
        self.verdicts: dict[str, tuple[str, str]] = {}  # name -> (status, detail) of the last Verify
        self.last_error: dict[str, str] = {}  # name -> the last failure, until the next try

    # --- what is there -------------------------------------------------------------
    def _weights(self) -> Any:
        from dis_annotator.engine import weights

        return weights

    def locate(self, name: str) -> Path | None:
        fn = self.locate_fn or self._weights().locate
        try:
            return fn(name)
        except Exception:  # noqa: BLE001 - an unknown or unreadable entry is "not installed"
            return None

    def sam_installed(self, name: str = "auto") -> bool:
        """Whether SAM weights for ``name`` ("auto": any SAM) are on disk."""
        return any(self.locate(n) is not None for n in (SAM_NAMES if name == "auto" else (name,)))

    def list_models(self) -> list[Any]:
        return list((self.list_fn or self._weights().list_models)())

    def verdict(self, info: Any) -> tuple[str, str]:
        """``(short, detail)`` for the Verified column, without reading the file: the last
        Verify of this session, else what the hash record says about this very file."""
        if info.name in self.verdicts:
            return self.verdicts[info.name]
        if getattr(info, "path", None) is None:
            return "", ""
        if not (info.sha256 or info.git_blob):
            return "no hash published", "The publisher gives no hash; Verify checks that it loads."
        try:
            from dis_annotator.engine.weights import hashes

            p = Path(info.path).resolve()
            st = p.stat()
            rec = hashes._read().get(str(p))
        except Exception:  # noqa: BLE001
            rec = None
        if not rec or rec.get("size") != st.st_size or rec.get("mtime_ns") != st.st_mtime_ns:
            return "not checked yet", "Press Verify to check it against the published hash."
        ok = rec.get("sha256") == info.sha256 if info.sha256 else rec.get("git_blob") == info.git_blob
        return ("yes", "matches the published hash") if ok else ("NO", "differs from the published hash")

    def info(self, name: str) -> Any | None:
        try:
            return self._weights().get(name)
        except Exception:  # noqa: BLE001
            return None

    def label(self, name: str) -> str:
        """e.g. "MobileSAM (41 MB)"."""
        info = self.info(name)
        size = size_text(getattr(info, "size", None))
        return f"{display_name(name)} ({size})" if size else display_name(name)

    def manual_route(self, name: str, action: str = "Use a file I have…") -> str:
        """One line: where to fetch the file by other means, and how to bring it in."""
        info = self.info(name)
        if info is None:
            return f"Fetch the checkpoint elsewhere, then “{action}”."
        src = info.url or info.page or "the publisher's page"
        return f"Fetch {info.file} from {src} elsewhere, then “{action}”."

    # --- jobs ----------------------------------------------------------------------
    def busy(self) -> bool:
        return self._job is not None

    @property
    def current(self) -> str:
        return self._name if self._job is not None else ""

    @property
    def kind(self) -> str:
        """What the running job does: "download" | "import" | "verify" ("" when idle)."""
        return self._kind if self._job is not None else ""

    def download(self, name: str) -> bool:
        """Start downloading ``name`` (resumes a ``.part``); False when a job runs."""
        if self._job is not None:
            return False
        fn = self.download_fn or self._weights().download
        return self._run(name, "download", _Job(fn, name, with_progress=True))

    def import_file(self, path: str | Path, name: str | None = None) -> bool:
        """Copy a checkpoint the user has into the models folder (checked first)."""
        if self._job is not None:
            return False
        fn = self.import_fn or self._weights().import_model
        return self._run(name or Path(path).name, "import", _Job(fn, str(path), name))

    def _run(self, name: str, kind: str, job: _Job) -> bool:
        self._job, self._name, self._kind = job, name, kind
        self.last_error.pop(name, None)
        job.progress.connect(lambda d, t, s: self.progress.emit(name, d, t, s))
        job.done.connect(self._done)
        self.started.emit(name, kind)
        job.start()
        return True

    def verify(self, name: str) -> bool:
        """Check the installed file of ``name`` against its hash (reads the whole file)."""
        if self._job is not None:
            return False
        fn = self.verify_fn or self._weights().verify
        return self._run(name, "verify", _Job(fn, name))

    def remove(self, name: str) -> str:
        """Delete the installed copies of ``name``; returns an error ("" when done)."""
        if self._job is not None:
            return "wait until the current download ends"
        try:
            (self.remove_fn or self._weights().remove)(name)
        except Exception as exc:  # noqa: BLE001
            return f"{type(exc).__name__}: {exc}"
        self.verdicts.pop(name, None)
        self.last_error.pop(name, None)
        self.removed.emit(name)
        return ""

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancelled.set()

    def _done(self, error: str) -> None:
        job, self._job = self._job, None
        name, kind = self._name, self._kind
        if job is not None:
            job.wait(5000)
            if not error and kind == "import" and isinstance(job.value, (str, Path)):
                name = _manifest_name(Path(job.value), self) or name  # which model it was
            if not error and kind == "verify":
                results = list(job.value or [])
                res = results[0] if results else None
                if res is not None:
                    short = {"ok": "yes", "unverified": "no hash published", "missing": ""}.get(res.status, "NO")
                    self.verdicts[name] = (short, res.line())
                    if not res.usable:
                        error = res.line()
        if error and kind != "verify":
            self.last_error[name] = error
        self.finished.emit(name, kind, error)
        if not error and kind in ("download", "import"):
            self.installed.emit(name)

    def shutdown(self) -> None:
        if self._job is not None:
            self._job.cancelled.set()
            self._job.wait(5000)


def _manifest_name(path: Path, service: ModelService) -> str | None:
    """The manifest name whose file ``path`` is (after an import), else None."""
    try:
        entries = service._weights().list_models()
    except Exception:  # noqa: BLE001
        return None
    for e in entries:
        if getattr(e, "file", None) == path.name:
            return str(e.name)
    return None
