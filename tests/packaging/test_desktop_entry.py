"""packaging/dis-annotator.desktop follows the freedesktop Desktop Entry spec (1.5)."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "packaging"
MAIN_CATEGORIES = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game", "Graphics",
                   "Network", "Office", "Science", "Settings", "System", "Utility"}


def _entry() -> configparser.SectionProxy:
    cp = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    cp.optionxform = str  # keys are case-sensitive
    cp.read(PKG / "dis-annotator.desktop", encoding="utf-8")
    return cp["Desktop Entry"]


def test_required_keys_and_types():
    e = _entry()
    assert e["Type"] == "Application" and e["Name"] and e["Exec"]
    assert e["Terminal"] == "false" and e["StartupNotify"] in ("true", "false")
    for key in ("Categories", "Keywords", "MimeType"):
        assert e[key].endswith(";"), f"{key} lists end with ';'"
    cats = set(filter(None, e["Categories"].split(";")))
    assert cats & MAIN_CATEGORIES, "at least one main category"
    assert all(m.startswith("image/") for m in filter(None, e["MimeType"].split(";")))


def test_exec_runs_the_console_script_with_one_file():
    e = _entry()
    argv = shlex.split(e["Exec"])
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert argv[0] in scripts and argv[0] == e["TryExec"]
    # `gui` takes one optional path: %f (one file), not %F (a list)
    assert argv[1:] == ["gui", "%f"]


def test_icon_exists_in_every_theme_size():
    name = _entry()["Icon"]
    assert "/" not in name and not name.endswith((".png", ".svg")), "theme icon name, not a path"
    assert (PKG / "icons" / f"{name}.svg").is_file()
    sizes = sorted(int(p.parent.parent.name.split("x")[0])
                   for p in (PKG / "icons" / "hicolor").glob(f"*/apps/{name}.png"))
    assert {16, 32, 48, 64, 128, 256} <= set(sizes)
    from PIL import Image

    for size in sizes:
        with Image.open(PKG / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{name}.png") as im:
            assert im.size == (size, size) and im.mode == "RGBA"
            assert im.getpixel((0, 0))[3] == 0, "transparent corner (rounded icon)"
