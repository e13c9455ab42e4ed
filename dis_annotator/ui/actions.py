"""All menu/toolbar actions, built from the shortcut table in :mod:`settings`.

Actions are created here, unconnected; the main window connects them. Icons come from
``resources/icons/<name>.svg`` (found in a checkout, a wheel or a bundle).
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup, QIcon

from dis_annotator.resources import resource_path
from dis_annotator.ui.settings import DEFAULT_SHORTCUTS, Settings

ICONS = {
    "open_image": "open",
    "open_folder": "folder",
    "save": "save",
    "export_current": "export",
    "export_all": "export",
    "undo": "undo",
    "redo": "redo",
    "new_object": "new",
    "delete_object": "delete",
    "prompt_tool": "prompt",
    "brush": "brush",
    "eraser": "eraser",
    "toggle_overlay": "overlay",
    "toggle_outline": "outline",
    "fit": "fit",
    "zoom_100": "zoom100",
    "next_image": "next",
    "prev_image": "prev",
    "models": "models",
    "about": "about",
}
CHECKABLE = {"prompt_tool", "brush", "eraser", "toggle_overlay", "toggle_outline", "toggle_edits",
             "toggle_uncertainty"}


def icon(name: str) -> QIcon:
    try:
        path = resource_path("icons", f"{name}.svg")
    except FileNotFoundError:
        return QIcon()
    return QIcon(str(path)) if path.is_file() else QIcon()


class Actions:
    def __init__(self, parent: QObject, settings: Settings) -> None:
        self.by_name: dict[str, QAction] = {}
        for name, (text, _keys) in DEFAULT_SHORTCUTS.items():
            act = QAction(icon(ICONS[name]) if name in ICONS else QIcon(), text, parent)
            act.setObjectName(name)
            act.setCheckable(name in CHECKABLE)
            self.by_name[name] = act
        self.tools = QActionGroup(parent)
        self.tools.setExclusive(True)
        for name in ("prompt_tool", "brush", "eraser"):
            self.tools.addAction(self.by_name[name])
        self.by_name["prompt_tool"].setChecked(True)
        self.by_name["toggle_overlay"].setChecked(True)
        self.apply_shortcuts(settings)

    def __getitem__(self, name: str) -> QAction:
        return self.by_name[name]

    def apply_shortcuts(self, settings: Settings) -> None:
        for name, act in self.by_name.items():
            keys = settings.shortcuts(name)
            act.setShortcuts(keys)
            hint = ", ".join(k.toString() for k in keys)
            text = DEFAULT_SHORTCUTS[name][0].replace("&", "")
            act.setToolTip(f"{text} ({hint})" if hint else text)
