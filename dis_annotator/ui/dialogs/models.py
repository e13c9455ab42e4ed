"""Models dialog: which weights are installed, and a cancellable download with progress.

Talks to ``dis_annotator.engine.weights`` (``list_models()``, ``download(name, progress,
should_cancel)``); the download runs in its own thread so the window stays live.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def _field(entry: Any, *names: str, default: Any = "") -> Any:
    for n in names:
        if isinstance(entry, dict) and n in entry:
            return entry[n]
        if hasattr(entry, n):
            return getattr(entry, n)
    return default


class _Download(QThread):
    progress = Signal(float, float)  # done, total (bytes; total 0 = unknown)
    done = Signal(str)  # "" = ok, else the error

    def __init__(self, weights: Any, name: str) -> None:
        super().__init__()
        self.weights, self.name = weights, name
        self.cancelled = threading.Event()

    def run(self) -> None:
        try:
            self.weights.download(
                self.name,
                progress=lambda done, total=0: self.progress.emit(float(done), float(total or 0)),
                should_cancel=self.cancelled.is_set,
            )
        except Exception as exc:  # noqa: BLE001 - shown in the dialog
            self.done.emit("cancelled" if self.cancelled.is_set() else f"{type(exc).__name__}: {exc}")
            return
        self.done.emit("cancelled" if self.cancelled.is_set() else "")


class ModelsDialog(QDialog):
    """Lists models; Download / Cancel for the selected one. Emits ``changed`` after a download."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(620, 320)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Model", "Role", "Size", "Installed"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        layout.addWidget(self.table)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        row = QHBoxLayout()
        self.bar = QProgressBar()
        self.bar.setVisible(False)
        self.download_btn = QPushButton("Download")
        self.cancel_btn = QPushButton("Cancel download")
        self.cancel_btn.setEnabled(False)
        row.addWidget(self.bar, 1)
        row.addWidget(self.download_btn)
        row.addWidget(self.cancel_btn)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.download_btn.clicked.connect(self._start)
        self.cancel_btn.clicked.connect(self._cancel)
        self._thread: _Download | None = None
        self.weights: Any = None
        self.refresh()

    def refresh(self) -> None:
        try:
            from dis_annotator.engine import weights
        except ImportError as exc:
            self.weights = None
            self.info.setText(f"The weights registry is not available in this build ({exc}). "
                              "The app runs with the classical stages.")
            self.download_btn.setEnabled(False)
            return
        self.weights = weights
        try:
            models = list(weights.list_models())
        except Exception as exc:  # noqa: BLE001
            self.info.setText(f"Could not read the model manifest: {exc}")
            return
        self.table.setRowCount(len(models))
        for i, m in enumerate(models):
            size = _field(m, "size", "size_bytes", default=0) or 0
            installed = _field(m, "installed", default=None)
            if installed is None and hasattr(weights, "locate"):
                try:
                    installed = weights.locate(_field(m, "name")) is not None
                except Exception:  # noqa: BLE001
                    installed = False
            cells = [
                str(_field(m, "name")),
                str(_field(m, "role", "kind", "stage")),
                f"{float(size) / 1e6:.0f} MB" if size else "",
                "yes" if installed else "no",
            ]
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.info.setText("Weights are downloaded with a SHA-256 check; without them the classical stages run.")

    def _start(self) -> None:
        row = self.table.currentRow()
        if row < 0 or self.weights is None:
            self.info.setText("Select a model first.")
            return
        name = self.table.item(row, 0).text()
        self._thread = _Download(self.weights, name)
        self._thread.progress.connect(self._progress)
        self._thread.done.connect(self._finished)
        self.bar.setVisible(True)
        self.bar.setRange(0, 0)
        self.download_btn.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        self.info.setText(f"Downloading {name}…")
        self._thread.start()

    def _progress(self, done: float, total: float) -> None:
        if total > 0:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * done / total))
            self.bar.setFormat(f"{done / 1e6:.0f} / {total / 1e6:.0f} MB")

    def _cancel(self) -> None:
        if self._thread is not None:
            self._thread.cancelled.set()
            self.info.setText("Cancelling…")

    def _finished(self, error: str) -> None:
        self.bar.setVisible(False)
        self.download_btn.setEnabled(True)
        self.cancel_btn.setEnabled(False)
        self.info.setText(error or "Installed. The app picks it up on the next start.")
        self._thread = None
        self.refresh()
        if not error:
            self.changed.emit()

    def reject(self) -> None:
        if self._thread is not None:
            self._thread.cancelled.set()
            self._thread.wait(5000)
        super().reject()
