"""Export: Ctrl+E writes the current image's masks; Ctrl+Shift+E every image of the list,
in a background thread behind a cancellable progress dialog.

Names and formats are those of ``dis-annotator segment`` (``annotation.export_document``):
union ``<stem>.png``, ``<stem>_obj<k>.png``, optional RGBA cut-outs, binary 0/255 PNG
at full resolution, into ``<image folder>/masks/`` by default.

Name clashes follow the batch command's rule (``io.naming.OutputClaims``, docs/adr/0120):
images are taken in list order, and an image any of whose output files an earlier
annotated image also writes (``a.jpg`` + ``a.png``; ``a.png`` with two objects +
``a_obj2.png``) is refused as a whole, so nothing of the other is overwritten or
removed as stale. No output is ever an image of the list.
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
from dis_annotator.annotation.sidecar import SidecarError, load_sidecar, read_sidecar_json
from dis_annotator.io.atomic import remove_stale_temps
from dis_annotator.io.naming import OutputClaims, output_paths


class ExportRefused(ValueError):
    """An export would overwrite another image's output or an input; one-line reason."""


def _outputs(doc: Document, out_dir: Path, rel: Path, cutouts: bool) -> list[Path]:
    return output_paths(out_dir, rel, len(doc), per_object=True, cutouts=cutouts)


def _claim(claims: OutputClaims, owner: str, paths: list[Path]) -> str | None:
    for p in paths:
        hit = claims.input_clash(p)
        if hit is not None:
            return f"output {p} would overwrite the image {hit}"
    return claims.claim(owner, paths)


def saved_object_count(image: Path) -> int:
    """Objects in ``image``'s sidecar JSON (0 when none or unreadable); no masks read."""
    try:
        data = read_sidecar_json(image)
    except SidecarError:
        return 0
    objects = data.get("objects") if data else None
    return len(objects) if isinstance(objects, list) else 0


def _related(a: Path, b: Path) -> bool:
    """Whether the exports of ``a`` and ``b`` can share a file name (same folder, and one
    stem equals the other or extends it with ``_…``)."""
    if a.parent != b.parent:
        return False
    return a.stem == b.stem or a.stem.startswith(b.stem + "_") or b.stem.startswith(a.stem + "_")


def export_current(
    doc: Document, rgb: np.ndarray | None, out_dir: Path | None, rel: Path, cutouts: bool,
    images: list[Path] | None = None, counts: dict[Path, int] | None = None,
) -> list[Path]:
    """Synchronous export of one document (a snapshot keeps the UI's copy untouched).

    ``images`` = the session's image list (in order) and ``counts`` = object counts of
    documents in memory: an earlier annotated image of the list with a clashing output
    name makes this export refused (:class:`ExportRefused`), like Export all would.
    """
    out = out_dir or default_export_dir(doc.image_path)
    images = images or []
    counts = counts or {}
    claims = OutputClaims(images)
    for other in images:
        if other == doc.image_path:
            break
        if not _related(other, doc.image_path):
            continue
        n = counts[other] if other in counts else saved_object_count(other)
        if n:
            claims.claim(other.name, output_paths(out_dir or default_export_dir(other),
                                                  rel.parent / other.name, n, True, cutouts))
    paths = _outputs(doc, out, rel, cutouts)
    why = _claim(claims, doc.image_path.name, paths)
    if why is not None:
        raise ExportRefused(f"{doc.image_path.name} not exported: {why}")
    remove_stale_temps(paths[-1].parent, {p.name for p in paths})
    return export_document(doc.snapshot(), rgb if cutouts else None, out, rel, per_object=True,
                           cutouts=cutouts)


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
        self.refused: list[str] = []  # images not exported because of a name clash

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        errors: list[str] = []
        done = 0
        claims = OutputClaims([item.image for item in self.items])
        swept: set[Path] = set()
        for i, item in enumerate(self.items):
            if self._cancel.is_set():
                break
            self.progress.emit(i, len(self.items), item.image.name)
            try:
                doc = item.doc if item.doc is not None else load_sidecar(item.image)
                if doc is None or not len(doc):
                    continue
                out = self.out_dir or default_export_dir(item.image)
                paths = _outputs(doc, out, item.rel, self.cutouts)
                why = _claim(claims, item.image.name, paths)
                if why is not None:
                    self.refused.append(item.image.name)
                    errors.append(f"{item.image.name}: not exported: {why}")
                    continue
                if paths[-1].parent not in swept:  # temp files a killed export left
                    swept.add(paths[-1].parent)
                    remove_stale_temps(paths[-1].parent)
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
