"""Issue 13 app cases 2, 3, 4, 5 and 12 on the real main window (offscreen)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from dis_annotator.annotation import (
    AddObject,
    Document,
    History,
    SetMask,
    save_sidecar,
    sidecar_path,
)
from dis_annotator.io import read_mask_png
from tests.ui.conftest import H, W, scene
from tests.ui.drive import drag, key, wait_idle

pytestmark = pytest.mark.gui
REPO = Path(__file__).resolve().parents[2]


def disc(cx: int, cy: int, r: int) -> np.ndarray:
    yy, xx = np.mgrid[:H, :W]
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r


def annotate(image: Path, labels: list[str]) -> Document:
    doc = Document(image, W, H)
    h = History(doc)
    for i, label in enumerate(labels):
        r = doc.new_object(label=label)
        h.push(AddObject(r))
        h.push(SetMask(r.id, disc(60 + 90 * i, 150, 30)))
    save_sidecar(doc)
    return doc


@pytest.fixture
def warnings(monkeypatch) -> list[str]:
    """Every warning the user sees: modal boxes and the window's non-modal notices."""
    from dis_annotator.ui.main_window import MainWindow

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    real = getattr(MainWindow, "notify", None)

    def notify(self, title, text):
        shown.append(text)
        if real is not None:
            real(self, title, text)

    monkeypatch.setattr(MainWindow, "notify", notify, raising=False)
    return shown


def brush_stroke(qtbot, w) -> None:
    key(qtbot, w, Qt.Key.Key_B)
    drag(qtbot, w, (20, 20), (60, 30))
    wait_idle(qtbot, w)


# --- case 2 --------------------------------------------------------------------------
def test_one_missing_mask_file_keeps_the_other_objects(qtbot, make_window, images, warnings):
    annotate(images[0], ["sun", "tree", "cat"])
    jp = sidecar_path(images[0])
    original = jp.read_bytes()
    tree_file = json.loads(original)["objects"][1]["mask"]["file"]
    (jp.parent / tree_file).unlink()
    intact = {p.name for p in jp.parent.glob("*.png")}

    w = make_window()
    w.open_path(images[0])
    assert [o.label for o in w.controller.doc] == ["sun", "cat"]
    assert warnings and "tree" in warnings[0] and tree_file in warnings[0]
    assert "starting fresh" not in warnings[0]

    w.objects.list.setCurrentRow(0)
    brush_stroke(qtbot, w)  # the edit that used to autosave over everything
    w.autosaver.flush()
    [backup] = jp.parent.glob("img1.png.damaged-*.json")
    assert backup.read_bytes() == original
    assert intact <= {p.name for p in jp.parent.glob("*.png")}
    w.close()

    w2 = make_window()
    warnings.clear()
    w2.open_path(images[0])
    assert [o.label for o in w2.controller.doc] == ["sun", "cat"] and not warnings


# --- case 12 ---------------------------------------------------------------------------
def test_backups_of_quickly_repeated_damage_never_overwrite_each_other(qtbot, make_window, images, warnings):
    annotate(images[0], ["sun", "tree"])
    jp = sidecar_path(images[0])
    w = make_window()
    versions = []
    for n in range(2):
        data = json.loads(jp.read_text())
        data["objects"][0]["color"] = [n, "x", 1e300]
        jp.write_text(json.dumps(data))
        versions.append(jp.read_bytes())
        w.session.docs.clear()
        w.session.index = -1
        w.open_path(images[0])
        brush_stroke(qtbot, w)
        w.autosaver.flush()
    found = sorted(p.read_bytes() for p in jp.parent.glob("img1.png.damaged-*.json"))
    assert found == sorted(versions)


# --- case 3 ------------------------------------------------------------------------------
def _break(images: list[Path]) -> None:
    for image, how in zip(images, ("objects", "deep", "area"), strict=True):
        annotate(image, ["a", "b"])
        jp = sidecar_path(image)
        data = json.loads(jp.read_text())
        if how == "objects":
            data["objects"] = {"a": 1}
        elif how == "area":
            data["objects"][0]["mask"]["area"] = "lots"
        jp.write_text("[" * 100_000 + "]" * 100_000 if how == "deep" else json.dumps(data))


def test_malformed_sidecars_never_stop_the_window(qtbot, make_window, images, warnings):
    _break(images)
    w = make_window()
    assert w.open_path(images[0].parent)
    for i in range(3):
        w.show_index(i)
        assert w.session.index == i
    assert len(warnings) == 2  # the two unreadable files; "area" is only a listing detail
    assert w.controller.doc is not None and len(w.controller.doc) == 2
    brush_stroke(qtbot, w)
    w.close()


def _gui(args: list[str], env: dict, wait_s: float = 8.0) -> tuple[int, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dis_annotator", *args], env=env, cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # the app closes its window the normal way
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return proc.returncode, err


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM")
def test_app_starts_on_a_folder_of_malformed_sidecars_and_again_from_settings(images, tmp_path):
    _break(images)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path),
           "DIS_ANNOTATOR_DATA_DIR": str(tmp_path / "data")}
    rc, err = _gui(["gui", str(images[0].parent)], env)
    assert rc == 0, err[-2000:]
    assert "Traceback" not in err
    rc, err = _gui([], env)  # plain start: reopens the stored last folder
    assert rc == 0, err[-2000:]


# --- case 4 -------------------------------------------------------------------------------
def test_image_entry_damaged_autosave_works(qtbot, make_window, images, warnings):
    annotate(images[0], ["sun", "tree"])
    jp = sidecar_path(images[0])
    data = json.loads(jp.read_text())
    data["image"] = []
    jp.write_text(json.dumps(data))
    w = make_window()
    errors = []
    w.autosaver.failed.connect(lambda _d, msg: errors.append(msg))
    w.open_path(images[0])
    assert [o.label for o in w.controller.doc] == ["sun", "tree"] and warnings
    brush_stroke(qtbot, w)
    w.autosaver.flush()
    qtbot.wait(50)
    assert errors == [] and not w.controller.doc.dirty
    assert json.loads(jp.read_text())["image"]["width"] == W
    w.close()


def test_closing_warns_when_saving_fails(qtbot, make_window, images, monkeypatch):
    from dis_annotator.annotation import sidecar as sidecar_mod

    w = make_window()
    w.open_path(images[0])
    real = sidecar_mod.PendingSave.write
    monkeypatch.setattr(sidecar_mod.PendingSave, "write", lambda self: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    brush_stroke(qtbot, w)
    asked: list[str] = []
    answer = [QMessageBox.StandardButton.No]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: (asked.append(a[2]), answer[0])[1])
    w.close()
    assert asked and "img1.png" in asked[0] and "No space left" in asked[0]
    assert w.isVisible()  # the user said No: nothing is lost yet
    monkeypatch.setattr(sidecar_mod.PendingSave, "write", real)  # the disk has room again
    asked.clear()
    w.close()
    assert not asked and not w.isVisible()
    assert sidecar_path(images[0]).is_file()


# --- case 5 ------------------------------------------------------------------------------
def test_export_all_refuses_same_stem_images_like_the_batch_command(qtbot, make_window, images, warnings):
    folder = images[0].parent
    for p in images:
        p.unlink()
    img, _ = scene(7)
    Image.fromarray(img).save(folder / "a.png")
    Image.fromarray(img).save(folder / "a.jpg", quality=95)
    jpg = annotate(folder / "a.jpg", ["left", "right"])
    annotate(folder / "a.png", ["only"])
    w = make_window()
    w.open_path(folder)
    job = w.export_all()
    qtbot.waitUntil(lambda: w.export_job is None, timeout=20000)
    out = folder / "masks"
    assert np.array_equal(read_mask_png(out / "a.png"), jpg.union_mask())
    assert np.array_equal(read_mask_png(out / "a_obj2.png"), jpg.objects[1].mask)  # not removed as stale
    assert job.refused == ["a.png"]
    assert warnings and "a.png" in warnings[-1] and "a.jpg" in warnings[-1]
    # Ctrl+E on the later image is refused the same way
    w.show_index(w.session.images.index(folder / "a.png"))
    warnings.clear()
    assert w.export_current() == []
    assert warnings and "a.jpg" in warnings[0]
    assert np.array_equal(read_mask_png(out / "a.png"), jpg.union_mask())
    w.close()
