"""About dialog: versions of everything that matters, the device and the active stages."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def version_rows(device: str, stages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    from dis_annotator import __version__

    rows = [
        ("dis-annotator", __version__),
        ("Python", platform.python_version()),
        ("Qt / PySide6", f"{qVersion()} / {pyside_version}"),
        ("torch", _version("torch")),
        ("numpy", _version("numpy")),
        ("OpenCV", _version("opencv-python-headless")),
        ("segment-anything", _version("segment-anything")),
        ("device", device or "cpu"),
    ]
    for s in stages:
        rows.append((f"{s['stage']} stage", f"{s['name']} ({'learned' if s['learned'] else 'classical'})"))
    return rows


class AboutDialog(QDialog):
    def __init__(self, device: str, stages: list[dict[str, Any]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About dis-annotator")
        layout = QVBoxLayout(self)
        title = QLabel("<h2>dis-annotator</h2><p>Pixel-perfect object masks from a box and a few clicks.</p>")
        layout.addWidget(title)
        table = "".join(
            f"<tr><td style='padding-right:16px'><b>{k}</b></td><td>{v}</td></tr>"
            for k, v in version_rows(device, stages)
        )
        body = QLabel(f"<table>{table}</table>")
        body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body = body
        layout.addWidget(body)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
