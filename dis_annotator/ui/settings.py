"""Persistent user settings (QSettings): remappable shortcuts, engine choice, view options.

Every action of the app has a stable name; its default key sequences live here, in one
table, so the settings dialog, the menus and the docs agree. A user override is stored
as ``shortcuts/<name>`` = ``"Ctrl+K; Shift+K"``.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence

ORG, APP = "dis-annotator", "dis-annotator"

# name -> (menu text, default key sequences). The issue lists these defaults.
DEFAULT_SHORTCUTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "open_image": ("&Open image…", ("Ctrl+O",)),
    "open_folder": ("Open &folder…", ("Ctrl+Shift+O",)),
    "save": ("&Save", ("Ctrl+S",)),
    "export_current": ("&Export masks of this image", ("Ctrl+E",)),
    "export_all": ("Export &all images…", ("Ctrl+Shift+E",)),
    "quit": ("&Quit", ("Ctrl+Q",)),
    "undo": ("&Undo", ("Ctrl+Z",)),
    "redo": ("&Redo", ("Ctrl+Shift+Z", "Ctrl+Y")),
    "new_object": ("&New object", ("N",)),
    "delete_object": ("&Delete object", ("Delete",)),
    "cancel_prompt": ("Cancel prompt", ("Esc",)),
    "prompt_tool": ("&Prompt tool (box / clicks)", ("P",)),
    "brush": ("&Brush", ("B",)),
    "eraser": ("&Eraser", ("E",)),
    "brush_smaller": ("Brush smaller", ("[",)),
    "brush_larger": ("Brush larger", ("]",)),
    "toggle_overlay": ("Toggle &overlay", ("Tab",)),
    "toggle_outline": ("&Outline only", ("O",)),
    "toggle_edits": ("Show &manual edits", ("M",)),
    "clear_edits": ("Clear &manual edits", ()),
    "toggle_uncertainty": ("Show &uncertainty", ("U",)),
    "accept_suggestion_fg": ("Accept suggestion as &foreground click", ("Y",)),
    "accept_suggestion_bg": ("Accept suggestion as bac&kground click", ("X",)),
    "fit": ("&Fit to window", ("F",)),
    "zoom_100": ("Zoom &100 %", ("1",)),
    "next_image": ("&Next image", ("D", "PgDown")),
    "prev_image": ("&Previous image", ("A", "PgUp")),
    "settings": ("Settings…", ("Ctrl+,",)),
    "models": ("&Models…", ()),
    "about": ("&About", ()),
}

ENGINES = ("auto", "classical", "sam")
# Manifest names; "auto" = engine.sam_choice.auto_order (CPU: vit_b, MobileSAM, …).
SAM_MODELS = ("auto", "mobile_sam", "sam_vit_b", "sam_vit_l", "sam_vit_h")


class Settings:
    """Typed access to QSettings; pass ``store`` (e.g. an INI-backed QSettings) in tests."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings(ORG, APP)

    # --- shortcuts -----------------------------------------------------------------
    def shortcuts(self, name: str) -> list[QKeySequence]:
        default = DEFAULT_SHORTCUTS[name][1]
        raw = self.store.value(f"shortcuts/{name}", None)
        keys = default if raw is None else tuple(k.strip() for k in str(raw).split(";") if k.strip())
        return [QKeySequence(k) for k in keys]

    def set_shortcuts(self, name: str, keys: list[str]) -> None:
        if name not in DEFAULT_SHORTCUTS:
            raise KeyError(f"unknown action {name!r}")
        self.store.setValue(f"shortcuts/{name}", "; ".join(keys))

    def reset_shortcuts(self) -> None:
        self.store.remove("shortcuts")

    # --- engine --------------------------------------------------------------------
    @property
    def engine(self) -> str:
        value = str(self.store.value("engine/coarse", "auto"))
        return value if value in ENGINES else "auto"

    @engine.setter
    def engine(self, value: str) -> None:
        if value not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {value!r}")
        self.store.setValue("engine/coarse", value)

    @property
    def sam_model(self) -> str:
        value = str(self.store.value("engine/sam_model", "auto"))
        return value if value in SAM_MODELS else "auto"

    @sam_model.setter
    def sam_model(self, value: str) -> None:
        if value not in SAM_MODELS:
            raise ValueError(f"SAM model must be one of {SAM_MODELS}, got {value!r}")
        self.store.setValue("engine/sam_model", value)

    # --- view ----------------------------------------------------------------------
    def _num(self, key: str, default: float, lo: float, hi: float) -> float:
        try:
            value = float(self.store.value(key, default))
        except (TypeError, ValueError):
            value = default
        return min(hi, max(lo, value))

    @property
    def opacity(self) -> float:
        return self._num("view/opacity", 0.45, 0.0, 1.0)

    @opacity.setter
    def opacity(self, value: float) -> None:
        self.store.setValue("view/opacity", float(value))

    @property
    def brush_radius(self) -> int:
        return int(self._num("tools/brush_radius", 12, 1, 500))

    @brush_radius.setter
    def brush_radius(self, value: int) -> None:
        self.store.setValue("tools/brush_radius", int(value))

    @property
    def export_cutouts(self) -> bool:
        return str(self.store.value("export/cutouts", "false")).lower() == "true"

    @export_cutouts.setter
    def export_cutouts(self, value: bool) -> None:
        self.store.setValue("export/cutouts", "true" if value else "false")

    @property
    def last_folder(self) -> str:
        return str(self.store.value("files/last_folder", ""))

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self.store.setValue("files/last_folder", value)

    @property
    def last_image(self) -> str:
        """The image last edited; reopening its folder starts there."""
        return str(self.store.value("files/last_image", ""))

    @last_image.setter
    def last_image(self, value: str) -> None:
        self.store.setValue("files/last_image", value)

    @property
    def offer_dismissed(self) -> bool:
        """The user closed the first-run bar (Tools → Models… still has its actions)."""
        return str(self.store.value("ui/sam_offer_dismissed", "false")).lower() == "true"

    @offer_dismissed.setter
    def offer_dismissed(self, value: bool) -> None:
        self.store.setValue("ui/sam_offer_dismissed", "true" if value else "false")
