"""File list panel: the images of the folder; a green dot marks those with masks.

"Worst first" sorts the list by each image's total estimated effort (the corrections
its objects' masks probably still need, issue 15), images without an estimate last;
rows then map to image indices through ``_order``, and every signal speaks indices."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QCheckBox, QListWidget, QListWidgetItem, QVBoxLayout, QWidget


def _dot(color: QColor | None, size: int = 12) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    if color is not None:
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setBrush(color)
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(2, 2, size - 4, size - 4)
        p.end()
    return QIcon(pix)


class FilesPanel(QWidget):
    activated = Signal(int)  # index in the image list

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setObjectName("filesList")
        # Long names are elided in the middle (the tooltip has the path): no sideways scrolling.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setUniformItemSizes(True)
        self.list.setWordWrap(False)
        self.worst_first = QCheckBox("Worst first (estimated effort)", self)
        self.worst_first.setObjectName("filesWorstFirst")
        self.worst_first.setToolTip("Sort images by the corrections their masks probably still need")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.worst_first)
        layout.addWidget(self.list)
        # image index -> total effort (None: no estimate); asked when sorting (set by the window)
        self.effort_source: Callable[[int], float | None] | None = None
        self._paths: list[Path] = []
        self._annotated: list[bool] = []
        self._efforts: dict[int, float | None] = {}
        self._order: list[int] = []
        self._current = -1
        self.worst_first.toggled.connect(lambda _on: self._rebuild())
        self._done = _dot(QColor(60, 190, 110))
        self._empty = _dot(QColor(120, 120, 128, 90))
        self.list.currentRowChanged.connect(self._row_changed)

    def set_files(self, paths: list[Path], annotated: list[bool], current: int) -> None:
        self._paths, self._annotated = list(paths), list(annotated)
        self._efforts = {}
        self._current = current
        self._rebuild()

    def _effort(self, index: int) -> float | None:
        if index not in self._efforts:
            self._efforts[index] = self.effort_source(index) if self.effort_source else None
        return self._efforts[index]

    def _rebuild(self) -> None:
        order = list(range(len(self._paths)))
        if self.worst_first.isChecked():
            order.sort(key=lambda i: (self._effort(i) is None, -(self._effort(i) or 0.0), i))
        self._order = order
        blocker = QSignalBlocker(self.list)
        self.list.clear()
        for i in order:
            path, done = self._paths[i], self._annotated[i]
            effort = self._efforts.get(i)
            item = QListWidgetItem(self._done if done else self._empty, path.name)
            tip = f"{path}\n{'has masks' if done else 'no masks yet'}"
            if effort is not None:
                tip += f"\nestimated corrections left: {effort:.1f}"
            item.setToolTip(tip)
            self.list.addItem(item)
        del blocker
        self.set_current(self._current)

    def set_effort(self, index: int, effort: float | None) -> None:
        """A document's new total; re-sorts when sorting by effort."""
        if self._efforts.get(index, "unknown") == effort:
            return
        self._efforts[index] = effort
        if self.worst_first.isChecked():
            self._rebuild()

    def image_order(self) -> list[int]:
        """Image indices from the top row down."""
        return list(self._order)

    def _row(self, index: int) -> int:
        return self._order.index(index) if 0 <= index < len(self._order) else -1

    def set_annotated(self, index: int, done: bool) -> None:
        if 0 <= index < len(self._annotated):
            self._annotated[index] = done
        item = self.list.item(self._row(index))
        if item is not None:
            item.setIcon(self._done if done else self._empty)

    def set_current(self, index: int) -> None:
        self._current = index
        row = self._row(index)
        blocker = QSignalBlocker(self.list)
        for i in range(self.list.count()):
            item = self.list.item(i)
            font = QFont(item.font())
            font.setBold(i == row)
            item.setFont(font)
        if 0 <= row < self.list.count():
            self.list.setCurrentRow(row)
            self.list.scrollToItem(self.list.item(row))
        del blocker

    def _row_changed(self, row: int) -> None:
        if 0 <= row < len(self._order):
            self.activated.emit(self._order[row])
