"""Locate bundled resources (icons, stylesheet, samples, model manifest).

In a source checkout they sit at the repository root (``resources/``, ``models/``); in an
installed wheel they are shipped inside the package as ``dis_annotator/_data/`` (setup.py
copies them at build time); in a PyInstaller bundle under
``sys._MEIPASS/dis_annotator/_data/``. One function hides the difference
(docs/adr/0080-resource-location.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

_PKG = Path(__file__).resolve().parent
KINDS = ("resources", "models")


def candidates(kind: str) -> list[Path]:
    """Folders tried for ``kind``, in order: PyInstaller bundle, wheel copy, checkout."""
    out: list[Path] = []
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        out.append(Path(meipass) / "dis_annotator" / "_data" / kind)
    out.append(_PKG / "_data" / kind)
    # The repository root only counts when it is one (pyproject.toml beside the package):
    # an installed package must never pick up some unrelated site-packages/resources/.
    if (_PKG.parent / "pyproject.toml").is_file():
        out.append(_PKG.parent / kind)
    return out


def data_root(kind: str) -> Path:
    """Folder for ``kind`` = ``"resources"`` or ``"models"``."""
    if kind not in KINDS:
        raise ValueError(f"unknown resource kind {kind!r} (expected one of {KINDS})")
    tried = candidates(kind)
    for c in tried:
        if c.is_dir():
            return c
    raise FileNotFoundError(
        f"bundled {kind}/ folder not found (looked in {', '.join(map(str, tried))})"
    )


def resource_path(*parts: str) -> Path:
    """e.g. ``resource_path("icons", "app.svg")``, ``resource_path("samples")``."""
    return data_root("resources").joinpath(*parts)
