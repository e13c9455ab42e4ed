"""The built wheel works on its own: installed (not editable) into a fresh venv.

``python -m build`` (sdist, then the wheel from the sdist, as a release would) → a new
venv → ``pip install --no-deps`` the wheel. The dependencies (torch, PySide6, ...) are not
downloaded again: a ``.pth`` file in the new venv appends the test interpreter's
site-packages to ``sys.path``. The venv's own site-packages comes first, so
``dis_annotator`` is imported from the installed wheel, never from this checkout — the
tests assert it, and run every command from an empty working directory with no
PYTHONPATH, so resources can only come from the wheel's ``dis_annotator/_data``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
    ".ruff_cache", ".hypothesis", "out", "*.pth", "*.pt", "*.part", "tests",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("build", reason="needs the 'build' package (pip install build)")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # a copy, so the build leaves no egg-info/build/ in the checkout
    shutil.copytree(ROOT, src, ignore=IGNORE)
    out = tmp / "dist"
    # --no-isolation: use this interpreter's setuptools (no download, works offline).
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--skip-dependency-check",
         "--outdir", str(out), str(src)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (whl,) = out.glob("*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("venv")
    env_dir = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True, timeout=300)
    py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(subprocess.check_output(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    # this interpreter's pip installs into the venv (pip >= 22.3: --python)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps",
         "--no-index", "--quiet", str(wheel)],
        check=True, timeout=300,
    )
    (site / "_deps_from_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    cwd = tmp / "cwd"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(
        HOME=str(tmp / "home"),
        XDG_CONFIG_HOME=str(tmp / "home" / ".config"),
        XDG_DATA_HOME=str(tmp / "home" / ".local" / "share"),
        DIS_ANNOTATOR_DATA_DIR=str(tmp / "userdata"),
        DIS_ANNOTATOR_MODELS=str(tmp / "no_models"),
        QT_QPA_PLATFORM="offscreen",
    )
    script = env_dir / ("Scripts/dis-annotator.exe" if os.name == "nt" else "bin/dis-annotator")
    return {"py": py, "exe": script, "site": site, "cwd": cwd, "env": env, "root": env_dir}


def _run(v: dict, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(list(map(str, args)), cwd=v["cwd"], env=v["env"],
                          capture_output=True, text=True, timeout=timeout)


def _probe(v: dict, code: str) -> str:
    proc = _run(v, v["py"], "-c", code)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_wheel_carries_resources_but_no_weights(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "dis_annotator/_data/resources/samples/boxes.json" in names
    if (ROOT / "models" / "manifest.json").is_file():  # arrives with the weights manager
        assert "dis_annotator/_data/models/manifest.json" in names
    assert any(n.startswith("dis_annotator/_data/resources/samples/") and n.endswith(".jpg") for n in names)
    assert not [n for n in names if n.endswith((".pth", ".pt", ".part"))]
    assert not [n for n in names if n.startswith(("resources/", "models/", "tests/"))]


def test_package_and_resources_come_from_the_venv(venv):
    kinds = ["resources"] + (["models"] if (ROOT / "models" / "manifest.json").is_file() else [])
    out = _probe(venv, "import dis_annotator, dis_annotator.resources as r; "
                       "print(dis_annotator.__file__); "
                       f"[print(r.data_root(k)) for k in {kinds!r}]")
    lines = out.splitlines()
    assert len(lines) == 1 + len(kinds)
    root = venv["root"].resolve()
    for line in lines:
        path = Path(line).resolve()
        assert root in path.parents, f"{path} is not inside the venv {root}"
    assert all(Path(line).parent.name == "_data" for line in lines[1:])


def test_version_command(venv):
    proc = _run(venv, venv["exe"], "--version")
    assert proc.returncode == 0, proc.stderr
    from dis_annotator import __version__

    assert f"dis-annotator {__version__}" in proc.stdout
    assert "torch " in proc.stdout and "device cpu" in proc.stdout
    assert "weights" in proc.stdout.lower() or "installed" in proc.stdout.lower()


def test_models_list_reads_the_bundled_manifest(venv):
    proc = _run(venv, venv["exe"], "models", "list")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((venv["site"] / "dis_annotator/_data/models/manifest.json").read_text())
    for entry in manifest["models"]:
        assert entry["name"] in proc.stdout
    assert str(venv["site"] / "dis_annotator" / "_data" / "models") in proc.stdout  # search order


def test_batch_segment_on_a_bundled_sample(venv):
    samples = Path(_probe(venv, "from dis_annotator.resources import resource_path; "
                                "print(resource_path('samples'))"))
    out = venv["cwd"] / "masks"
    proc = _run(venv, venv["exe"], "segment", samples / "coffee.jpg", "--boxes", samples / "boxes.json",
                "--out", out, "--engine", "classical", "--refiner", "classical", "--no-progress",
                "--coco", out / "coco.json")
    assert proc.returncode == 0, proc.stderr
    from dis_annotator.io import read_mask_png

    mask = read_mask_png(out / "coffee.png")
    frac = mask.mean()
    assert mask.shape == (400, 600)
    assert 0.05 < frac < 0.9, f"implausible mask coverage {frac:.3f}"
    assert json.loads((out / "coco.json").read_text())["annotations"]


def test_main_window_opens_offscreen(venv):
    # packaging/smoke.py runs `dis-annotator gui` with a timer that closes the window
    proc = _run(venv, venv["py"], ROOT / "packaging" / "smoke.py", timeout=400)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SMOKE window-shown visible=1 title='dis-annotator'" in proc.stdout
    # no weights: the inference thread builds the classical pipeline from the wheel
    assert "SMOKE pipeline-ready" in proc.stdout, proc.stdout + proc.stderr
