"""setup.py's file selection: everything under resources/, only the manifest of models/."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_setup(monkeypatch, root: Path):
    # setup.py calls setup() only as a script; importing it just defines the hook.
    spec = importlib.util.spec_from_file_location("dis_setup", ROOT / "setup.py")
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "dis_setup", mod)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "ROOT", root)
    return mod


def test_weights_and_junk_are_never_selected(monkeypatch, tmp_path):
    (tmp_path / "models").mkdir()
    for name in ("manifest.json", "README.md", "sam_vit_b_01ec64.pth", "x.pt", "y.part"):
        (tmp_path / "models" / name).write_text("x")
    res = tmp_path / "resources"
    (res / "icons" / "__pycache__").mkdir(parents=True)
    (res / "icons" / "app.svg").write_text("<svg/>")
    (res / "icons" / "__pycache__" / "x.pyc").write_text("")
    (res / ".hidden").write_text("")
    (res / "stray.pth").write_text("")
    (res / "style.qss").write_text("")
    mod = _load_setup(monkeypatch, tmp_path)
    patterns = dict((src, pats) for _, src, pats in mod.DATA)
    assert mod._files("models", patterns["models"]) == ["README.md", "manifest.json"]
    assert mod._files("resources", patterns["resources"]) == ["icons/app.svg", "style.qss"]


def test_real_tree_selection_is_what_the_app_needs(monkeypatch):
    mod = _load_setup(monkeypatch, ROOT)
    files = mod._files("resources", ("**/*",))
    assert "samples/boxes.json" in files
    assert not [f for f in files if f.endswith((".pth", ".pt"))]
