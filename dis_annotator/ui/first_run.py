"""The first-run bar above the canvas: while no SAM weights are installed it says the
engine is classical and offers the recommended SAM for this machine (docs/adr/0140).

Only a view: the window connects its signals to the shared
:class:`~dis_annotator.ui.model_service.ModelService` and calls ``show_*``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dis_annotator.ui.elided import ElidedLabel
from dis_annotator.ui.model_service import display_name, size_text

INTRO = "Segmenting with the classical engine. For better masks, get SAM:"


class FirstRunBar(QFrame):
    download_requested = Signal(str)  # manifest name
    import_requested = Signal()
    cancel_requested = Signal()
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunBar")
        column = QVBoxLayout(self)
        column.setContentsMargins(10, 4, 4, 4)
        column.setSpacing(2)
        lay = QHBoxLayout()
        lay.setSpacing(6)
        column.addLayout(lay)
        self.text = ElidedLabel(INTRO, max_hint=900)
        self.text.setObjectName("firstRunText")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setFixedWidth(220)
        self.progress.setVisible(False)
        self.primary = QPushButton("")
        self.primary.setObjectName("firstRunPrimary")
        self.other = QPushButton("")
        self.other.setFlat(True)
        self.use_file = QPushButton("Use a file I have…")
        self.use_file.setFlat(True)
        self.cancel = QPushButton("Cancel")
        self.cancel.setVisible(False)
        self.close_btn = QToolButton()
        self.close_btn.setText("✕")
        self.close_btn.setAutoRaise(True)
        self.close_btn.setToolTip("Hide this bar (Tools → Models… has the same actions)")
        lay.addWidget(self.text, 1)
        for w in (self.progress, self.primary, self.other, self.use_file, self.cancel, self.close_btn):
            lay.addWidget(w)
        # After an error: the manual route on a line of its own, so the URL is readable.
        self.route = ElidedLabel("", max_hint=4000, mode=Qt.TextElideMode.ElideMiddle)
        self.route.setObjectName("firstRunRoute")
        self.route.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.route.setVisible(False)
        column.addWidget(self.route)
        self._names = ("", "")
        self.primary.clicked.connect(lambda: self.download_requested.emit(self._names[0]))
        self.other.clicked.connect(lambda: self.download_requested.emit(self._names[1]))
        self.use_file.clicked.connect(self.import_requested.emit)
        self.cancel.clicked.connect(self.cancel_requested.emit)
        self.close_btn.clicked.connect(self._dismiss)

    def set_offer(self, primary: tuple[str, int | None], other: tuple[str, int | None] | None) -> None:
        """``(manifest name, size in bytes)`` of the recommended model and the alternative."""
        def label(name: str, size: int | None) -> str:
            s = size_text(size)
            return f"{display_name(name)} ({s})" if s else display_name(name)

        self._names = (primary[0], other[0] if other else "")
        self.primary.setText(f"Download {label(*primary)}")
        self.other.setText(label(*other) if other else "")
        self.other.setToolTip(f"Download {label(*other)} instead" if other else "")
        self.other.setVisible(other is not None)

    def _buttons(self, busy: bool) -> None:
        self.route.setVisible(False)
        self.primary.setVisible(not busy)
        self.other.setVisible(not busy and bool(self._names[1]))
        self.use_file.setVisible(not busy)
        self.cancel.setVisible(busy)
        self.progress.setVisible(busy)

    def show_offer(self, note: str = "") -> None:
        self._buttons(False)
        self.setProperty("error", False)
        self._repolish()
        self.text.setText(f"{note} {INTRO}".strip() if note else INTRO)

    def show_busy(self, text: str) -> None:
        self._buttons(True)
        self.progress.setRange(0, 0)
        self.setProperty("error", False)
        self._repolish()
        self.text.setText(text)

    def show_progress(self, name: str, done: float, total: float, speed: float) -> None:
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
            self.progress.setFormat(f"{done / 1e6:.0f} / {total / 1e6:.0f} MB")
        rate = f" · {speed / 1e6:.1f} MB/s" if speed > 0 else ""
        left = f" · {(total - done) / speed:.0f} s left" if speed > 0 and total > done else ""
        self.text.setText(f"Downloading {display_name(name)}{rate}{left}")

    def show_error(self, reason: str, route: str) -> None:
        """One line: why it failed, then the manual route (kept until the next action)."""
        self._buttons(False)
        self.setProperty("error", True)
        self._repolish()
        self.text.setText(f"⚠ {reason}.")
        self.text.setToolTip(f"{reason}.\n{route}")
        self.route.setText(route)
        self.route.setVisible(True)

    def _repolish(self) -> None:
        self.style().unpolish(self)
        self.style().polish(self)

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
