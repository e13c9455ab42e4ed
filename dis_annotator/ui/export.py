"""Export: Ctrl+E writes the current image's masks; Ctrl+Shift+E every image of the list,
in a background thread behind a cancellable progress dialog.

Names and formats are those of ``dis-annotator segment`` (``annotation.export_document``):
union ``<stem>.png``, ``<stem>_obj<k>.png``, optional RGBA cut-outs, binary 0/255 PNG
at full resolution, into ``<image folder>/masks/`` by default.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from dis_annotator.annotation.document import Document
from dis_annotator.annotation.export import default_export_dir, export_document
from dis_annotator.annotation.sidecar import load_sidecar


def export_current(
    doc: Document, rgb: np.ndarray | None, out_dir: Path | None, rel: Path, cutouts: bool
) -> list[Path]:
    """Synchronous export of one document (a snapshot keeps the UI's copy untouched)."""
    return export_document(doc.snapshot(), rgb if cutouts else None, out_dir or default_export_dir(doc.image_path),
                           rel, per_object=True, cutouts=cutouts)


@dataclass
class ExportItem:
    image: Path
    rel: Path
    doc: Document | None  # in-memory snapshot (unsaved edits) or None: read the sidecar


class ExportAllJob(QThread):
    """Exports every image that has an annotation; ``cancel()`` stops between images."""

    progress = Signal(int, int, str)  # done, total, current file name
    finished_with = Signal(int, list, bool)  # images exported, error lines, cancelled

    def __init__(self, items: list[ExportItem], out_dir: Path | None, cutouts: bool) -> None:
        super().__init__()
        self.items, self.out_dir, self.cutouts = items, out_dir, cutouts
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        errors: list[str] = []
        done = 0
        for i, item in enumerate(self.items):
            if self._cancel.is_set():
                break
            self.progress.emit(i, len(self.items), item.image.name)
            try:
                doc = item.doc if item.doc is not None else load_sidecar(item.image)
                if doc is None or not len(doc):
                    continue
                out = self.out_dir or default_export_dir(item.image)
                export_document(doc, None, out, item.rel, per_object=True, cutouts=self.cutouts)
                done += 1
            except Exception as exc:  # noqa: BLE001 - listed at the end, the rest goes on
                errors.append(f"{item.image.name}: {type(exc).__name__}: {exc}")
        self.progress.emit(len(self.items), len(self.items), "")
        self.finished_with.emit(done, errors, self._cancel.is_set())


def run_export_all(parent: QWidget, job: ExportAllJob) -> QProgressDialog:
    """Start ``job`` behind a modal progress dialog whose Cancel stops it."""
    dialog = QProgressDialog("Exporting masks…", "Cancel", 0, max(1, len(job.items)), parent)
    dialog.setWindowTitle("Export all images")
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.canceled.connect(job.cancel)

    def on_progress(done: int, total: int, name: str) -> None:
        dialog.setMaximum(max(1, total))
        dialog.setValue(done)
        if name:
            dialog.setLabelText(f"Exporting {name} ({done + 1} of {total})…")

    job.progress.connect(on_progress)
    job.finished_with.connect(lambda *_: dialog.close())
    dialog.show()
    job.start()
    return dialog
