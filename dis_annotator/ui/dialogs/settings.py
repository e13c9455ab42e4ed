"""Settings dialog: engine choice, export cut-outs, and every shortcut (remappable)."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QKeySequenceEdit,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from dis_annotator.ui.settings import DEFAULT_SHORTCUTS, ENGINES, SAM_MODELS, Settings


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Settings")
        self.resize(480, 600)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.engine = QComboBox()
        self.engine.addItems(ENGINES)
        self.engine.setCurrentText(settings.engine)
        self.engine.setToolTip("auto: SAM when its weights are installed, else GrabCut (applies on restart)")
        form.addRow("Coarse engine", self.engine)
        self.sam_model = QComboBox()
        self.sam_model.addItems(SAM_MODELS)
        self.sam_model.setCurrentText(settings.sam_model)
        self.sam_model.setToolTip(
            "auto: on CPU SAM ViT-B if installed, else MobileSAM; on a GPU the largest "
            "installed SAM (applies on restart)"
        )
        form.addRow("SAM model", self.sam_model)
        self.cutouts = QCheckBox("also write RGBA cut-outs")
        self.cutouts.setChecked(settings.export_cutouts)
        form.addRow("Export", self.cutouts)
        layout.addLayout(form)
        layout.addWidget(QLabel("Shortcuts (first sequence; Ctrl+Shift+Z / Ctrl+Y style alternatives keep their defaults)"))
        inner = QWidget()
        keys = QFormLayout(inner)
        self.edits: dict[str, QKeySequenceEdit] = {}
        for name, (text, _default) in DEFAULT_SHORTCUTS.items():
            current = settings.shortcuts(name)
            edit = QKeySequenceEdit(current[0] if current else QKeySequence())
            self.edits[name] = edit
            keys.addRow(text.replace("&", ""), edit)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout.addWidget(scroll, 1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self._defaults)
        layout.addWidget(buttons)

    def _defaults(self) -> None:
        for name, (_text, default) in DEFAULT_SHORTCUTS.items():
            self.edits[name].setKeySequence(QKeySequence(default[0]) if default else QKeySequence())

    def accept(self) -> None:
        self.settings.engine = self.engine.currentText()
        self.settings.sam_model = self.sam_model.currentText()
        self.settings.export_cutouts = self.cutouts.isChecked()
        for name, edit in self.edits.items():
            seq = edit.keySequence().toString()
            rest = [k.toString() for k in self.settings.shortcuts(name)[1:]]
            self.settings.set_shortcuts(name, [seq, *rest] if seq else [])
        super().accept()
