"""File list panel: the images of the folder; a green dot marks those with masks."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QVBoxLayout, QWidget


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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        self._done = _dot(QColor(60, 190, 110))
        self._empty = _dot(QColor(120, 120, 128, 90))
        self.list.currentRowChanged.connect(self._row_changed)

    def set_files(self, paths: list[Path], annotated: list[bool], current: int) -> None:
        blocker = QSignalBlocker(self.list)
        self.list.clear()
        for path, done in zip(paths, annotated, strict=True):
            item = QListWidgetItem(self._done if done else self._empty, path.name)
            item.setToolTip(f"{path}\n{'has masks' if done else 'no masks yet'}")
            self.list.addItem(item)
        self.set_current(current)
        del blocker

    def set_annotated(self, index: int, done: bool) -> None:
        item = self.list.item(index)
        if item is not None:
            item.setIcon(self._done if done else self._empty)

    def set_current(self, index: int) -> None:
        blocker = QSignalBlocker(self.list)
        for i in range(self.list.count()):
            item = self.list.item(i)
            font = QFont(item.font())
            font.setBold(i == index)
            item.setFont(font)
        if 0 <= index < self.list.count():
            self.list.setCurrentRow(index)
            self.list.scrollToItem(self.list.item(index))
        del blocker

    def _row_changed(self, row: int) -> None:
        if row >= 0:
            self.activated.emit(row)
