"""Objects panel: one row per object — colour swatch, editable label, visibility box —
and a context menu of actions on the object under the cursor (it is selected first)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

ID_ROLE = Qt.ItemDataRole.UserRole + 1
PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 2
WARNING = QColor(240, 163, 109)
EFFORT_ROLE = Qt.ItemDataRole.UserRole + 3  # "≈ 12" shown right-aligned (EffortDelegate)


class EffortDelegate(QStyledItemDelegate):
    """The row as usual plus the object's effort, right-aligned and dimmed; the label
    stays the editable text, so renaming is untouched."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:  # noqa: ANN001
        super().paint(painter, option, index)
        text = index.data(EFFORT_ROLE)
        if not text:
            return
        painter.save()
        painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(option.rect.adjusted(0, 0, -6, 0),
                         int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
        painter.restore()


@dataclass(frozen=True)
class ObjectRow:
    id: str
    label: str
    color: tuple[int, int, int]
    visible: bool
    area: int
    source: str = ""  # e.g. "grabcut → guided-filter, 412 ms"
    edited: bool = False  # has manual edit layers (brush / eraser strokes)
    problem: str = ""  # why the last model run gave (almost) nothing; "" = fine
    busy: bool = False  # a request for it is running
    effort: float | None = None  # estimated corrections left at the last model run (issue 15)


def swatch(color: tuple[int, int, int], size: int = 14) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor(*color))
    p.setPen(QColor(255, 255, 255, 140))
    p.drawRoundedRect(1, 1, size - 2, size - 2, 3, 3)
    p.end()
    return QIcon(pix)


def warning_swatch(color: tuple[int, int, int], size: int = 14) -> QIcon:
    """The object's colour as an outline with a "!" in it: no mask came back."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(WARNING)
    p.setPen(QColor(*color))
    p.drawRoundedRect(1, 1, size - 2, size - 2, 3, 3)
    p.setPen(QColor(30, 20, 10))
    font = p.font()
    font.setBold(True)
    font.setPixelSize(size - 3)
    p.setFont(font)
    p.drawText(pix.rect(), int(Qt.AlignmentFlag.AlignCenter), "!")
    p.end()
    return QIcon(pix)


class ObjectsPanel(QWidget):
    selected = Signal(str)  # object id ("" = none)
    renamed = Signal(str, str)  # object id, new label
    visibility_changed = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setObjectName("objectsList")
        self.list.setItemDelegate(EffortDelegate(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.itemChanged.connect(self._item_changed)
        self._rows: dict[str, ObjectRow] = {}
        # Actions on the selected object (set by the window); the context menu shows them.
        self.context_actions: list[QAction | None] = []
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)

    def context_menu(self, pos: QPoint) -> QMenu | None:
        """The menu for a right-click at ``pos`` (list coordinates), its object selected."""
        item = self.list.itemAt(pos)
        if item is None or not self.context_actions:
            return None
        self.list.setCurrentItem(item)
        menu = QMenu(self)
        for act in self.context_actions:
            menu.addSeparator() if act is None else menu.addAction(act)
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.context_menu(pos)
        if menu is not None:
            menu.exec(self.list.viewport().mapToGlobal(pos))

    def set_objects(self, rows: list[ObjectRow], selected: str | None) -> None:
        """Rebuild the list (cheap: a handful of rows) without emitting edit signals."""
        blocker = QSignalBlocker(self.list)
        self.list.clear()
        self._rows = {r.id: r for r in rows}
        for r in rows:
            item = QListWidgetItem(warning_swatch(r.color) if r.problem else swatch(r.color), r.label)
            item.setData(ID_ROLE, r.id)
            item.setData(PROBLEM_ROLE, r.problem)
            item.setFlags(
                Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsEditable
                | Qt.ItemFlag.ItemIsUserCheckable
            )
            item.setCheckState(Qt.CheckState.Checked if r.visible else Qt.CheckState.Unchecked)
            tip = f"{r.area:,} px" + (f"\n{r.source}" if r.source else "")
            if r.problem:
                item.setForeground(WARNING)
                tip = (f"No mask: {r.problem}.\nDraw the box closer around the object, click on it, "
                       f"or paint it with the brush.\n{tip}")
            elif r.busy:
                tip = f"Segmenting…\n{tip}"
            if r.effort is not None:
                item.setData(EFFORT_ROLE, f"≈ {r.effort:.0f}")
                tip += (f"\nestimated corrections left: {r.effort:.1f} (clicks and outline points, "
                        "at the last model run; U shows where)")
            item.setToolTip(tip + "\nDouble-click to rename; tick to show or hide")
            self.list.addItem(item)
            if r.id == selected:
                self.list.setCurrentItem(item)
        del blocker

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(ID_ROLE) if item is not None else None

    def _current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self.selected.emit(current.data(ID_ROLE) if current is not None else "")

    def _item_changed(self, item: QListWidgetItem) -> None:
        obj_id = item.data(ID_ROLE)
        row = self._rows.get(obj_id)
        if row is None:
            return
        visible = item.checkState() == Qt.CheckState.Checked
        label = item.text().strip()
        if visible != row.visible:
            self._rows[obj_id] = dataclasses.replace(row, visible=visible)
            self.visibility_changed.emit(obj_id, visible)
        elif label and label != row.label:
            self._rows[obj_id] = dataclasses.replace(row, label=label)
            self.renamed.emit(obj_id, label)
        elif not label:
            blocker = QSignalBlocker(self.list)
            item.setText(row.label)
            del blocker
