"""A label that never asks for more room than it has: long text is elided, in full in
the tooltip. Status texts of any length then cannot widen the window (issue 14)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    """``text()`` is the full text; what is painted is elided to the width it got.

    ``max_hint`` caps the width it asks for (the layout may give it less, never more
    because of the text); ``min_hint`` is what it keeps when space is short."""

    def __init__(self, text: str = "", parent: QWidget | None = None, max_hint: int = 480,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight, min_hint: int = 40) -> None:
        super().__init__(parent)
        self.max_hint = max_hint
        self.min_hint = min_hint
        self.mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self.setToolTip(text if text else "")
        self.updateGeometry()

    def sizeHint(self) -> QSize:  # noqa: N802
        full = super().sizeHint()  # the whole text, with the style's padding
        return QSize(min(full.width(), self.max_hint), full.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(min(self.min_hint, self.sizeHint().width()), super().minimumSizeHint().height())

    def elided(self) -> str:
        return self.fontMetrics().elidedText(self.text(), self.mode, max(0, self.contentsRect().width()))

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setPen(self.palette().color(self.foregroundRole()))
        p.drawText(self.contentsRect(), int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), self.elided())
        p.end()
