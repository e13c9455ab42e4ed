"""Locate bundled resources (icons, stylesheet, samples, model manifest).

In a source checkout they sit at the repository root (``resources/``, ``models/``); in an
installed wheel they are shipped inside the package as ``dis_annotator/_data/``; in a
PyInstaller bundle under ``sys._MEIPASS``. One function hides the difference.
"""

from __future__ import annotations

import sys
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def data_root(kind: str) -> Path:
    """Folder for ``kind`` = ``"resources"`` or ``"models"``."""
    candidates = [_PKG / "_data" / kind, _PKG.parent / kind]
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        candidates.insert(0, Path(meipass) / "dis_annotator" / "_data" / kind)
    for c in candidates:
        if c.is_dir():
            return c
    raise FileNotFoundError(f"bundled {kind}/ folder not found (looked in {candidates})")


def resource_path(*parts: str) -> Path:
    """e.g. ``resource_path("icons", "app.svg")``, ``resource_path("samples")``."""
    return data_root("resources").joinpath(*parts)
