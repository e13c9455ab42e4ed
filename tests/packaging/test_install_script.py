"""packaging/install-linux.sh on a stand-in bundle folder (the real one is ~1 GB)."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "packaging"
pytestmark = pytest.mark.skipif(sys.platform != "linux" or not shutil.which("bash"), reason="Linux script")


def _bundle(tmp: Path) -> Path:
    """The layout build.sh produces, with a tiny shell program in place of the app."""
    b = tmp / "dis-annotator"
    (b / "_internal").mkdir(parents=True)
    exe = b / "dis-annotator"
    exe.write_text("#!/bin/sh\necho bundled-app \"$@\"\n")
    exe.chmod(0o755)
    (b / "share" / "applications").mkdir(parents=True)
    shutil.copy(PKG / "dis-annotator.desktop", b / "share" / "applications")
    shutil.copytree(PKG / "icons" / "hicolor", b / "share" / "icons" / "hicolor")
    shutil.copy(PKG / "install-linux.sh", b)
    return b


def test_install_then_uninstall(tmp_path):
    bundle = _bundle(tmp_path)
    prefix = tmp_path / "prefix"
    env = {**os.environ, "PREFIX": str(prefix)}
    subprocess.run(["bash", str(bundle / "install-linux.sh")], env=env, check=True, capture_output=True)
    app = prefix / "lib" / "dis-annotator" / "dis-annotator"
    out = subprocess.run([str(prefix / "bin" / "dis-annotator"), "gui"], capture_output=True, text=True)
    assert out.stdout.strip() == "bundled-app gui"
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str
    cp.read(prefix / "share" / "applications" / "dis-annotator.desktop")
    entry = cp["Desktop Entry"]
    assert entry["Exec"] == f"{app} gui %f" and entry["TryExec"] == str(app)
    assert (prefix / "share/icons/hicolor/48x48/apps/dis-annotator.png").is_file()

    subprocess.run(["bash", str(bundle / "install-linux.sh"), "--uninstall"], env=env, check=True,
                   capture_output=True)
    assert not app.exists() and not (prefix / "bin" / "dis-annotator").exists()
    assert not list((prefix / "share").rglob("dis-annotator.*"))
    assert bundle.is_dir()  # the unpacked folder itself is left alone
