"""Autosave: every change is written to the image's sidecar, off the UI thread.

After each change, ``prepare_save`` captures the save on the UI thread (metadata, plus a
copy of only the masks not yet on disk) and one background writer thread writes it
atomically, in order.
Changes that arrive in the same event-loop turn are coalesced into one write. Switching
image or closing the window calls :meth:`flush`, which waits for the writer, so no edit
is ever dropped (docs/adr/0072). A document whose latest write failed is remembered in
:attr:`Autosaver.failures` until a later write succeeds, so closing the window can warn
(docs/adr/0125).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QObject, QTimer, Signal

from dis_annotator.annotation.document import Document
from dis_annotator.annotation.sidecar import PendingSave, prepare_save


def _prepare(doc: Document) -> PendingSave:
    # A sidecar of other pixels (the image was replaced) is renamed aside, not lost.
    return prepare_save(doc, replace_mismatched=True)


class Autosaver(QObject):
    saved = Signal(object, int)  # Document, revision written
    failed = Signal(object, str)  # Document, message

    def __init__(self, delay_ms: int = 0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        self._pending: dict[int, Document] = {}
        self._futures: list[Future] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._write_pending)
        self.saved.connect(self._mark_saved)
        self.enabled = True
        self._failures: dict[int, tuple[Document, str]] = {}  # written by the writer thread
        self._failures_lock = threading.Lock()

    def schedule(self, doc: Document) -> None:
        """Write ``doc`` soon (coalesced with other changes of this event-loop turn)."""
        if not self.enabled:
            return
        self._pending[id(doc)] = doc
        if not self._timer.isActive():
            self._timer.start()

    def _write_pending(self) -> None:
        docs, self._pending = list(self._pending.values()), {}
        for doc in docs:
            if not doc.dirty:
                continue
            self._futures.append(self._pool.submit(self._write, doc, _prepare(doc)))
        self._futures = [f for f in self._futures if not f.done()]

    def _write(self, doc: Document, pending: PendingSave) -> None:
        try:
            pending.write()
        except Exception as exc:  # noqa: BLE001 - reported in the UI
            message = f"autosave of {doc.image_path.name} failed: {type(exc).__name__}: {exc}"
            with self._failures_lock:
                self._failures[id(doc)] = (doc, message)
            self.failed.emit(doc, message)
            return
        with self._failures_lock:
            self._failures.pop(id(doc), None)
        self.saved.emit(doc, pending.revision)

    def failures(self) -> list[tuple[Document, str]]:
        """Documents whose latest write failed (their edits are not on disk), with why."""
        with self._failures_lock:
            return list(self._failures.values())

    def forget(self, doc: Document) -> None:
        with self._failures_lock:
            self._failures.pop(id(doc), None)

    def _mark_saved(self, doc: Document, revision: int) -> None:
        doc.mark_saved(revision)

    def flush(self) -> None:
        """Write everything pending now and wait until it is on disk."""
        self._timer.stop()
        self._write_pending()
        for f in list(self._futures):
            f.result()
        self._futures.clear()

    def save_now(self, doc: Document) -> None:
        """Synchronous save (Ctrl+S); raises on failure."""
        self._pending.pop(id(doc), None)
        self.flush()
        pending = _prepare(doc)
        pending.write()
        doc.mark_saved(pending.revision)
        self.forget(doc)

    def shutdown(self) -> None:
        self.flush()
        self._pool.shutdown(wait=True)
