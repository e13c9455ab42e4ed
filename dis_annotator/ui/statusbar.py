"""Status bar: what the inference thread is doing, how long it took, on which device,
and which stages are classical vs learned (from ``Pipeline.describe()``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

_ACTIVITY = {
    "": "Ready",
    "encoding": "Encoding image…",
    "pre-encoding next": "Pre-encoding next image…",
    "coarse": "Segmenting (coarse)…",
    "correcting": "Correcting…",
    "refining": "Refining…",
    "loading": "Loading models…",
}


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.activity = QLabel(_ACTIVITY["loading"])
        self.activity.setObjectName("statusActivity")
        self.latency = QLabel("")
        self.stages = QLabel("")
        self.stages.setObjectName("statusStages")
        self.device = QLabel("")
        self.position = QLabel("")
        self.zoom = QLabel("")
        self.addWidget(self.activity)
        self.addWidget(self.latency)
        for w in (self.position, self.zoom, self.stages, self.device):
            self.addPermanentWidget(w)
        self.position.setVisible(False)

    def set_activity(self, what: str) -> None:
        self.activity.setText(_ACTIVITY.get(what, what))
        self.activity.setProperty("busy", bool(what))
        self.activity.style().unpolish(self.activity)
        self.activity.style().polish(self.activity)

    def set_latency(self, provenance: dict[str, Any], partial: bool = False) -> None:
        stages = provenance.get("stages", [])
        parts = [f"{s['name']} {s['ms']:.0f} ms" for s in stages]
        total = provenance.get("total_ms", 0.0)
        prefix = "coarse: " if partial else ""
        self.latency.setText(f"{prefix}{' → '.join(parts)}  (total {total:.0f} ms)" if parts else "")

    def set_pipeline(self, rows: list[dict[str, Any]], notes: list[str], device: str) -> None:
        text = " · ".join(f"{r['stage']}: {r['name']} ({'learned' if r['learned'] else 'classical'})" for r in rows)
        self.stages.setText(text)
        self.stages.setToolTip("\n".join(notes) if notes else "All stages are learned models.")
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
