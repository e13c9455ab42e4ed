"""Settings dialog: engine choice (and the way to its weights), export cut-outs, and
every shortcut (remappable). Worded for users; the theme's plain buttons."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QIcon, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from dis_annotator.ui.model_service import ModelService, display_name
from dis_annotator.ui.settings import DEFAULT_SHORTCUTS, ENGINES, SAM_MODELS, Settings

ENGINE_TEXT = {
    "auto": "Automatic: SAM when installed, else classical",
    "classical": "Classical (GrabCut): nothing to download",
    "sam": "SAM (learned model): needs its weights",
}
SHORTCUTS_HELP = ("Keyboard shortcuts: click a field, then press the new keys. Actions with a "
                  "second shortcut (Ctrl+Y for Redo, PgDown for Next image) keep it.")


class SettingsDialog(QDialog):
    get_weights = Signal()  # "Get SAM weights…": the window opens the Models dialog
    import_requested = Signal()

    def __init__(self, settings: Settings, parent: QWidget | None = None, models: ModelService | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.models = models
        self.setWindowTitle("Settings")
        self.resize(520, 620)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.engine = QComboBox()
        for name in ENGINES:
            self.engine.addItem(ENGINE_TEXT[name], name)
        self.engine.setCurrentIndex(ENGINES.index(settings.engine))
        self.engine.setToolTip("Which model turns a box into a mask. Changes apply at once.")
        form.addRow("Segmentation engine", self.engine)
        self.sam_model = QComboBox()
        for name in SAM_MODELS:
            text = "Automatic: the best installed one for this computer" if name == "auto" else (
                models.label(name) if models is not None else display_name(name))
            self.sam_model.addItem(text, name)
        self.sam_model.setCurrentIndex(SAM_MODELS.index(settings.sam_model))
        self.sam_model.setToolTip("MobileSAM is quick on a CPU; SAM ViT-B is more accurate and slower; "
                                  "ViT-L and ViT-H need a GPU to be pleasant.")
        form.addRow("SAM model", self.sam_model)
        self.weights_line = QLabel("")
        self.weights_line.setWordWrap(True)
        self.get_btn = QPushButton("Get SAM weights…")
        self.import_btn = QPushButton("Use a file I have…")
        row = QHBoxLayout()
        row.addWidget(self.get_btn)
        row.addWidget(self.import_btn)
        row.addStretch(1)
        form.addRow("", self.weights_line)
        form.addRow("", row)
        self.cutouts = QCheckBox("Also save cut-outs (the photo with a transparent background)")
        self.cutouts.setChecked(settings.export_cutouts)
        form.addRow("Export", self.cutouts)
        layout.addLayout(form)
        help_text = QLabel(SHORTCUTS_HELP)
        help_text.setWordWrap(True)
        layout.addWidget(help_text)
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
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).setText("Default shortcuts")
        for b in buttons.buttons():
            b.setIcon(QIcon())  # stock icons clash with the dark theme
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self._defaults)
        layout.addWidget(buttons)
        self.get_btn.clicked.connect(self.get_weights.emit)
        self.import_btn.clicked.connect(self.import_requested.emit)
        self.engine.currentIndexChanged.connect(self._weights_state)
        self.sam_model.currentIndexChanged.connect(self._weights_state)
        self._weights_state()

    def chosen_engine(self) -> str:
        return str(self.engine.currentData())

    def chosen_sam(self) -> str:
        return str(self.sam_model.currentData())

    def _weights_state(self) -> None:
        """Say whether the chosen SAM is installed, and offer the way to it when not."""
        wants_sam = self.chosen_engine() != "classical"
        if self.models is None or not wants_sam:
            self.weights_line.setText("")
            self.get_btn.setVisible(False)
            self.import_btn.setVisible(False)
            return
        model = self.chosen_sam()
        have = self.models.sam_installed(model)
        which = "A SAM model" if model == "auto" else display_name(model)
        self.weights_line.setText(f"{which} is installed." if have else
                                  f"{which} is not installed yet: download it, or use a file you have.")
        self.get_btn.setVisible(not have)
        self.import_btn.setVisible(not have)

    def _defaults(self) -> None:
        for name, (_text, default) in DEFAULT_SHORTCUTS.items():
            self.edits[name].setKeySequence(QKeySequence(default[0]) if default else QKeySequence())

    def accept(self) -> None:
        self.settings.engine = self.chosen_engine()
        self.settings.sam_model = self.chosen_sam()
        self.settings.export_cutouts = self.cutouts.isChecked()
        for name, edit in self.edits.items():
            seq = edit.keySequence().toString()
            rest = [k.toString() for k in self.settings.shortcuts(name)[1:]]
            self.settings.set_shortcuts(name, [seq, *rest] if seq else [])
        super().accept()
