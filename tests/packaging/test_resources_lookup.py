"""dis_annotator.resources: bundle, wheel and checkout layouts, in that order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dis_annotator import resources


def _fake_package(root: Path, with_data: bool, with_pyproject: bool) -> Path:
    pkg = root / "dis_annotator"
    pkg.mkdir(parents=True)
    if with_data:
        (pkg / "_data" / "resources").mkdir(parents=True)
        (pkg / "_data" / "models").mkdir(parents=True)
    if with_pyproject:
        (root / "pyproject.toml").write_text("")
    (root / "resources").mkdir()
    (root / "models").mkdir()
    return pkg


def test_source_checkout_uses_the_repository_root():
    root = Path(resources.__file__).resolve().parent.parent
    assert resources.data_root("resources") == root / "resources"
    assert (resources.resource_path("samples") / "boxes.json").is_file()


def test_wheel_copy_wins_over_checkout(monkeypatch, tmp_path):
    pkg = _fake_package(tmp_path, with_data=True, with_pyproject=True)
    monkeypatch.setattr(resources, "_PKG", pkg)
    assert resources.data_root("resources") == pkg / "_data" / "resources"
    assert resources.data_root("models") == pkg / "_data" / "models"


def test_installed_package_ignores_unrelated_site_packages_folders(monkeypatch, tmp_path):
    # site-packages/resources/ from some other distribution must not be mistaken for ours
    pkg = _fake_package(tmp_path, with_data=False, with_pyproject=False)
    monkeypatch.setattr(resources, "_PKG", pkg)
    with pytest.raises(FileNotFoundError, match="resources/ folder not found"):
        resources.data_root("resources")


def test_pyinstaller_bundle_comes_first(monkeypatch, tmp_path):
    pkg = _fake_package(tmp_path / "src", with_data=True, with_pyproject=True)
    meipass = tmp_path / "bundle"
    (meipass / "dis_annotator" / "_data" / "resources").mkdir(parents=True)
    monkeypatch.setattr(resources, "_PKG", pkg)
    monkeypatch.setattr("sys._MEIPASS", str(meipass), raising=False)
    assert resources.data_root("resources") == meipass / "dis_annotator" / "_data" / "resources"
    # a bundle without models/ falls through to the next layout instead of failing
    assert resources.data_root("models") == pkg / "_data" / "models"


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown resource kind"):
        resources.data_root("weights")


def test_sample_boxes_name_bundled_images():
    samples = resources.resource_path("samples")
    table = json.loads((samples / "boxes.json").read_text())
    assert table and all((samples / name).is_file() for name in table)
