"""Models dialog: what each model does, its size, whether it is installed and verified;
Download / Import… / Verify / Remove, each enabled only when it applies.

The work goes through the window's :class:`~dis_annotator.ui.model_service.ModelService`
(one job at a time, off the UI thread), so the first-run bar and this dialog show the
same download. An error stays on display until the next action (issue 14).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dis_annotator.ui.model_service import ModelService, display_name, first_line, size_text

COLUMNS = ["Model", "What it does", "Size", "Installed", "Verified"]


class ModelsDialog(QDialog):
    import_requested = Signal()  # the window asks for the file (a file dialog of its own)

    def __init__(self, service: ModelService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.confirm_remove = True  # tests switch the question off
        self.setWindowTitle("Models")
        self.setModal(True)  # also above a Settings dialog that opened it
        self.resize(860, 420)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.message = QLabel("")
        self.message.setObjectName("modelsMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)
        self.bar = QProgressBar()
        self.bar.setVisible(False)
        layout.addWidget(self.bar)
        row = QHBoxLayout()
        self.download_btn = QPushButton("Download")
        self.import_btn = QPushButton("Import…")
        self.import_btn.setToolTip("Use a checkpoint file you already have (it is checked, then copied)")
        self.verify_btn = QPushButton("Verify")
        self.remove_btn = QPushButton("Remove")
        self.cancel_btn = QPushButton("Cancel download")
        for b in (self.download_btn, self.import_btn, self.verify_btn, self.remove_btn, self.cancel_btn):
            b.setAutoDefault(False)
            row.addWidget(b)
        row.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        for b in close.buttons():
            b.setIcon(QIcon())  # the theme's plain buttons, no stock icons
        row.addWidget(close)
        layout.addLayout(row)
        self.download_btn.clicked.connect(self._download)
        self.import_btn.clicked.connect(self._import)
        self.verify_btn.clicked.connect(self._verify)
        self.remove_btn.clicked.connect(self._remove)
        self.cancel_btn.clicked.connect(service.cancel)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        service.started.connect(self._started)
        service.progress.connect(self._progress)
        service.finished.connect(self._finished)
        self.models: list[Any] = []
        self.refresh()

    # --- contents --------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read what is installed; the message line is left as it is."""
        keep = self.selected_name()
        try:
            self.models = self.service.list_models()
        except Exception as exc:  # noqa: BLE001
            self.models = []
            self.show_message(f"Could not read the model list: {exc}", error=True)
        self.table.setRowCount(len(self.models))
        for i, m in enumerate(self.models):
            installed = m.path is not None
            verdict, why = self.service.verdict(m)
            what = m.description or m.kind
            cells = [
                (display_name(m.name), m.name),
                (what, f"{what}\n{m.note}".strip()),
                (size_text(m.size) or "—", "size not published" if not m.size else f"{m.size:,} bytes"),
                ("yes" if installed else "no", str(m.path) if installed else "not installed"),
                (verdict or "—", why),
            ]
            for j, (text, tip) in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                self.table.setItem(i, j, item)
        self._fit_height()
        if keep:
            self.select(keep)
        self._update_buttons()

    def _fit_height(self) -> None:
        """Every row visible without scrolling (the table asked one row too few)."""
        self.table.resizeRowsToContents()
        rows = sum(self.table.rowHeight(i) for i in range(self.table.rowCount()))
        frame = 2 * self.table.frameWidth()
        self.table.setMinimumHeight(rows + self.table.horizontalHeader().sizeHint().height() + frame + 2)

    def select(self, name: str) -> None:
        for i, m in enumerate(self.models):
            if m.name == name:
                self.table.selectRow(i)
                return

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or not (0 <= rows[0].row() < len(self.models)):
            return None
        return str(self.models[rows[0].row()].name)

    def _selected(self) -> Any | None:
        name = self.selected_name()
        return next((m for m in self.models if m.name == name), None)

    def _update_buttons(self) -> None:
        m = self._selected()
        busy = self.service.busy()
        installed = m is not None and m.path is not None
        self.download_btn.setEnabled(m is not None and not busy and not installed and bool(m.url))
        if m is not None and not m.url and not installed:
            self.download_btn.setToolTip("No direct link for this model: fetch it by hand, then Import…")
        else:
            self.download_btn.setToolTip("Download with resume; the file is checked before use")
        self.import_btn.setEnabled(not busy)
        self.verify_btn.setEnabled(installed and not busy)
        self.remove_btn.setEnabled(installed and not busy)
        self.cancel_btn.setEnabled(busy and self.service.kind == "download")
        self.cancel_btn.setVisible(busy and self.service.kind == "download")

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(f"⚠ {text}" if error else text)
        self.message.setProperty("error", error)
        self.message.setStyleSheet("color: #f0a36d;" if error else "")

    # --- actions ---------------------------------------------------------------------
    def _download(self) -> None:
        m = self._selected()
        if m is not None:
            self.service.download(m.name)

    def _import(self) -> None:
        self.show_message("")
        self.import_requested.emit()

    def _verify(self) -> None:
        m = self._selected()
        if m is not None:
            self.service.verify(m.name)

    def _remove(self) -> None:
        m = self._selected()
        if m is None:
            return
        if self.confirm_remove and QMessageBox.question(
            self, "Remove model", f"Delete {display_name(m.name)} ({m.path})?"
        ) != QMessageBox.StandardButton.Yes:
            return
        error = self.service.remove(m.name)
        self.show_message(error or f"{display_name(m.name)} removed.", error=bool(error))
        self.refresh()

    # --- service signals ---------------------------------------------------------------
    def _started(self, name: str, kind: str) -> None:
        verb = {"download": "Downloading", "import": "Checking and copying", "verify": "Verifying"}.get(kind, kind)
        self.show_message(f"{verb} {display_name(name)}…")
        self.bar.setVisible(True)
        self.bar.setRange(0, 0)
        self._update_buttons()

    def _progress(self, name: str, done: float, total: float, speed: float) -> None:
        if total > 0:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * done / total))
            self.bar.setFormat(f"{done / 1e6:.0f} / {total / 1e6:.0f} MB")
        if speed > 0:
            self.show_message(f"Downloading {display_name(name)} · {speed / 1e6:.1f} MB/s")

    def _finished(self, name: str, kind: str, error: str) -> None:
        self.bar.setVisible(False)
        self.refresh()  # first: the message below must survive it
        if error == "cancelled":
            self.show_message("Download cancelled; the part already fetched is kept for a resume.")
        elif error:
            detail = first_line(error).removeprefix(f"{name}: ")
            route = self.service.manual_route(name, "Import…") if kind == "download" else ""
            verb = {"download": "download", "import": "import", "verify": "verify"}.get(kind, kind)
            self.show_message(f"Could not {verb} {display_name(name)}: {detail}. {route}".strip(), error=True)
        elif kind == "verify":
            self.show_message(self.service.verdicts.get(name, ("", "verified"))[1])
        else:
            self.show_message(f"{display_name(name)} is installed and checked; the app uses it now.")
        self._update_buttons()

    def reject(self) -> None:
        super().reject()  # a running download goes on (the first-run bar shows it)
