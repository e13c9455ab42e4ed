"""Status bar: what the inference thread is doing, how long it took, on which device,
and which stages are classical vs learned (from ``Pipeline.describe()``).

Every text sits in an :class:`~dis_annotator.ui.elided.ElidedLabel`: a long message is
elided (in full in its tooltip) and never widens the window (issue 14).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from dis_annotator.ui.elided import ElidedLabel

_ACTIVITY = {
    "": "Ready",
    "encoding": "Encoding image…",
    "pre-encoding next": "Pre-encoding next image…",
    "coarse": "Segmenting…",
    "correcting": "Correcting…",
    "refining": "Refining…",
    "loading": "Loading models…",
}


def activity_text(what: str) -> str:
    return _ACTIVITY.get(what, what)


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.activity = ElidedLabel(_ACTIVITY["loading"], max_hint=260, min_hint=150)
        self.activity.setObjectName("statusActivity")
        self.message = ElidedLabel("", max_hint=2000)  # takes what is left; elided
        self.message.setObjectName("statusMessage")
        self.latency = ElidedLabel("", max_hint=360, min_hint=120)
        self.stages = ElidedLabel("", max_hint=420, min_hint=120)
        self.stages.setObjectName("statusStages")
        self.device = QLabel("")
        self.position = QLabel("")
        self.zoom = QLabel("")
        self.addWidget(self.activity)
        self.addWidget(self.message, 1)
        self.addWidget(self.latency)
        for w in (self.position, self.zoom, self.stages, self.device):
            self.addPermanentWidget(w)
        self.position.setVisible(False)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clearMessage)
        self.stages_notes = ""

    # QStatusBar's own temporary message hides the widgets and is clipped without a
    # tooltip: every message goes to the elided label instead.
    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 - Qt override
        self.message.setText(text)
        self.latency.setVisible(not text)  # a message has the room while it shows
        if timeout > 0:
            self._timer.start(timeout)
        else:
            self._timer.stop()

    def clearMessage(self) -> None:  # noqa: N802
        self.message.setText("")
        self.latency.setVisible(True)
        self._timer.stop()

    def currentMessage(self) -> str:  # noqa: N802
        return self.message.text()

    def clear_image(self) -> None:
        """Forget what belonged to the previous image (its timings, its messages)."""
        self.latency.setText("")
        self.clearMessage()

    def set_activity(self, what: str) -> None:
        self.activity.setText(activity_text(what))
        self.activity.setProperty("busy", bool(what))
        self.activity.style().unpolish(self.activity)
        self.activity.style().polish(self.activity)

    def set_latency(self, provenance: dict[str, Any], partial: bool = False) -> None:
        stages = provenance.get("stages", [])
        parts = [f"{s['name']} {s['ms']:.0f} ms" for s in stages]
        total = provenance.get("total_ms", 0.0)
        prefix = "so far: " if partial else ""
        self.latency.setText(f"{prefix}{' → '.join(parts)}  (total {total:.0f} ms)" if parts else "")

    def set_pipeline(self, rows: list[dict[str, Any]], notes: list[str], device: str) -> None:
        text = " · ".join(f"{r['stage']}: {r['name']} ({'learned' if r['learned'] else 'classical'})" for r in rows)
        self.stages.setText(text)
        self.stages_notes = "\n".join(notes) if notes else "All stages are learned models."
        self.stages.setToolTip(f"{text}\n\n{self.stages_notes}")
        self.device.setText(f"device: {device}")
        self.set_activity("")

    def set_zoom(self, scale: float) -> None:
        self.zoom.setText(f"{scale * 100:.0f} %")

    def set_position(self, x: float, y: float, width: int, height: int) -> None:
        inside = 0 <= x < width and 0 <= y < height
        self.position.setText(f"x {int(x)}  y {int(y)}" if inside else "")
        self.position.setVisible(inside)

    def show_error(self, message: str) -> None:
        self.showMessage(f"⚠ {message}", 12000)
