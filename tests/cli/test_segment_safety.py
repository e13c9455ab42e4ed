"""Issue 13, batch cases 1, 6, 7, 8 and 13: inputs are never outputs, every output name is
claimed once, ambiguous keys and bad arguments are usage errors found before any work."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dis_annotator.cli import main

BOX = [20, 15, 70, 50]


def picture(path: Path, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    img = np.clip(rng.normal(60, 8, (64, 90, 3)), 0, 255).astype(np.uint8)
    img[20:45, 25:65] = (230, 200, 40)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path)
    return path.read_bytes()


def boxes(tmp_path: Path, table: dict) -> Path:
    p = tmp_path / "boxes.json"
    p.write_text(json.dumps(table))
    return p


def segment(*args) -> int:
    return main(["segment", *map(str, args), "--no-progress", "--engine", "classical"])


def err_lines(capsys) -> list[str]:
    return [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]


# --- case 1: an input is never an output ------------------------------------------------
@pytest.mark.parametrize("flags", [["--cutout"], ["--overwrite"], []])
def test_output_that_is_an_input_is_a_usage_error_before_work(tmp_path, capsys, flags):
    p = tmp_path / "p"
    original = picture(p / "a.png")
    rc = segment(p / "a.png", "--boxes", boxes(tmp_path, {"a.png": [BOX]}), "--out", p, *flags)
    assert rc == 2
    err = "\n".join(err_lines(capsys))
    assert "input" in err and str(p / "a.png") in err and "Traceback" not in err
    assert (p / "a.png").read_bytes() == original
    assert sorted(f.name for f in p.iterdir()) == ["a.png"]  # nothing else written either


def test_cutout_of_one_image_would_overwrite_another_input(tmp_path, capsys):
    p = tmp_path / "p"
    picture(p / "x.png")
    other = picture(p / "x_cutout.png", seed=3)
    table = {"x.png": [BOX], "x_cutout.png": [BOX]}
    rc = segment(p / "x.png", p / "x_cutout.png", "--boxes", boxes(tmp_path, table), "--out", p, "--cutout")
    assert rc == 2
    assert (p / "x_cutout.png").read_bytes() == other
    assert "x_cutout.png" in "\n".join(err_lines(capsys))


def test_box_file_is_never_an_output(tmp_path, capsys):
    picture(tmp_path / "in" / "a.png")
    coco = tmp_path / "boxes.json"
    coco.write_text(json.dumps({"a.png": [BOX]}))
    before = coco.read_bytes()
    assert segment(tmp_path / "in", "--boxes", coco, "--out", tmp_path / "o", "--coco", coco) == 2
    assert coco.read_bytes() == before


# --- case 6: every output name is claimed by one image ----------------------------------
@pytest.mark.parametrize("second,flag", [("a_obj1.png", "--per-object"), ("a_cutout.png", "--cutout")])
def test_one_images_extra_output_is_another_images_union(tmp_path, capsys, second, flag):
    src = tmp_path / "src"
    picture(src / "a.png")
    picture(src / second, seed=5)
    out = tmp_path / "out"
    rc = segment(src, "--boxes", boxes(tmp_path, {"a.png": [BOX], second: [[0, 0, 30, 30]]}),
                 "--out", out, flag)
    assert rc == 1
    lines = err_lines(capsys)
    failed = [ln for ln in lines if ln.startswith(f"failed: {second}")]
    assert len(failed) == 1
    assert str(out / second) in failed[0] and "a.png" in failed[0]  # names both images and the path
    # a.png's own output is intact: it is a's object (the refused image wrote nothing)
    got = np.asarray(Image.open(out / second))
    if flag == "--per-object":
        assert got.ndim == 2 and got[30, 45] == 255
    else:
        assert got.shape == (64, 90, 4)


def test_same_stem_message_names_both_images_and_the_output(tmp_path, capsys):
    picture(tmp_path / "a.png")
    picture(tmp_path / "a.jpg")
    out = tmp_path / "o"
    rc = segment(tmp_path / "a.jpg", tmp_path / "a.png",
                 "--boxes", boxes(tmp_path, {"a.png": [BOX], "a.jpg": [BOX]}), "--out", out)
    assert rc == 1
    failed = [ln for ln in err_lines(capsys) if ln.startswith("failed:")]
    assert failed == [f"failed: a.png: output {out / 'a.png'} would overwrite a.jpg's; rename a.png or a.jpg"]


# --- case 7: a key that names several images is ambiguous --------------------------------
def test_ambiguous_file_name_key_is_a_usage_error(tmp_path, capsys):
    tree = tmp_path / "tree"
    picture(tree / "2019" / "img001.png")
    picture(tree / "2020" / "img001.png", seed=2)
    out = tmp_path / "o"
    assert segment(tree, "--boxes", boxes(tmp_path, {"img001.png": [BOX]}), "--out", out) == 2
    err = "\n".join(err_lines(capsys))
    assert "2019/img001.png" in err and "2020/img001.png" in err and "ambiguous" in err
    assert not out.exists()
    # a key with a relative path selects one
    assert segment(tree, "--boxes", boxes(tmp_path, {"2019/img001.png": [BOX]}), "--out", out) == 0
    assert (out / "2019" / "img001.png").exists() and not (out / "2020").exists()


def test_relative_key_selects_among_files_named_directly(tmp_path, capsys):
    tree = tmp_path / "tree"
    picture(tree / "2019" / "img001.png")
    picture(tree / "2020" / "img001.png", seed=2)
    b = boxes(tmp_path, {"img001.png": [BOX]})
    files = [tree / "2019" / "img001.png", tree / "2020" / "img001.png"]
    assert segment(*files, "--boxes", b, "--out", tmp_path / "o") == 2
    assert "ambiguous" in "\n".join(err_lines(capsys))


# --- case 8: usage errors with one line, exit 2, before work ------------------------------
@pytest.mark.parametrize("text", [
    '{"images": [{"id": 1, "file_name": "a.png"}], "annotations": [5]}',
    '{"images": [{"id": 1, "file_name": "a.png"}], "annotations": {"a": 1}}',
    "[" * 100_000 + "]" * 100_000,
    '{"a.png": [[' + "7" * 5001 + ", 0, 1, 1]]}",
    "a.png,0,0," + "1" * 140_000 + ",5\n",
    '[["a.png", 20, 15, 70, 50]]',
])
def test_malformed_box_files_exit_2_with_one_line(tmp_path, capsys, text):
    picture(tmp_path / "in" / "a.png")
    b = tmp_path / "b.txt"
    b.write_text(text)
    assert segment(tmp_path / "in", "--boxes", b, "--out", tmp_path / "o") == 2
    lines = err_lines(capsys)
    assert len(lines) == 1 and lines[0].startswith("error: ") and len(lines[0]) < 400
    assert "CSV line 1" not in lines[0] or text.startswith("a.png")


def test_coco_naming_a_folder_is_refused_before_work(tmp_path, capsys):
    picture(tmp_path / "in" / "a.png")
    (tmp_path / "cocodir").mkdir()
    out = tmp_path / "o"
    rc = segment(tmp_path / "in", "--boxes", boxes(tmp_path, {"a.png": [BOX]}), "--out", out,
                 "--coco", tmp_path / "cocodir")
    assert rc == 2
    assert "--coco" in "\n".join(err_lines(capsys))
    assert not (out / "a.png").exists()


def test_bad_max_pixels_setting_is_a_usage_error(tmp_path, capsys, monkeypatch):
    picture(tmp_path / "in" / "a.png")
    monkeypatch.setenv("DIS_ANNOTATOR_MAX_PIXELS", "abc")
    rc = segment(tmp_path / "in", "--boxes", boxes(tmp_path, {"a.png": [BOX]}), "--out", tmp_path / "o")
    assert rc == 2
    lines = err_lines(capsys)
    assert len(lines) == 1 and "DIS_ANNOTATOR_MAX_PIXELS" in lines[0]


# --- case 13 ---------------------------------------------------------------------------
def test_out_naming_a_file_is_a_usage_error(tmp_path, capsys):
    picture(tmp_path / "in" / "a.png")
    target = tmp_path / "out.png"
    target.write_bytes(b"keep")
    rc = segment(tmp_path / "in", "--boxes", boxes(tmp_path, {"a.png": [BOX]}), "--out", target)
    assert rc == 2
    lines = err_lines(capsys)
    assert len(lines) == 1 and "not a folder" in lines[0] and "Errno" not in lines[0]
    assert target.read_bytes() == b"keep"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs a read-only /proc")
def test_unwritable_output_folder_is_found_before_work(tmp_path, capsys, monkeypatch):
    picture(tmp_path / "in" / "a.png")
    import dis_annotator.batch as batch

    calls = []
    monkeypatch.setattr(batch, "segment_image", lambda *a: calls.append(a))
    rc = segment(tmp_path / "in", "--boxes", boxes(tmp_path, {"a.png": [BOX]}), "--out", "/proc/1")
    assert rc == 2 and calls == []
    assert "cannot write" in "\n".join(err_lines(capsys))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permission bits")
def test_read_only_output_folder_is_found_before_work(tmp_path, capsys):
    picture(tmp_path / "in" / "a.png")
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert segment(tmp_path / "in", "--boxes", boxes(tmp_path, {"a.png": [BOX]}), "--out", out) == 2
    finally:
        out.chmod(0o755)


def test_corrupt_existing_output_is_recomputed_with_a_note(tmp_path, capsys):
    picture(tmp_path / "in" / "a.png")
    picture(tmp_path / "in" / "b.png", seed=4)
    b = boxes(tmp_path, {"a.png": [BOX], "b.png": [BOX]})
    out, coco = tmp_path / "o", tmp_path / "coco.json"
    assert segment(tmp_path / "in", "--boxes", b, "--out", out) == 0
    good = (out / "a.png").read_bytes()
    (out / "a.png").write_bytes(good[: len(good) // 2])  # damaged after the run
    stamp_b = (out / "b.png").stat().st_mtime_ns
    capsys.readouterr()
    assert segment(tmp_path / "in", "--boxes", b, "--out", out, "--coco", coco) == 0
    err = capsys.readouterr().err
    assert "note: a.png:" in err and "recomput" in err and "Traceback" not in err
    assert (out / "a.png").read_bytes() == good
    assert (out / "b.png").stat().st_mtime_ns == stamp_b  # intact: still skipped
    assert len(json.loads(coco.read_text())["images"]) == 2


# --- cases 9 and 10 end to end ------------------------------------------------------------
def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_outputs_get_plain_modes_and_a_later_run_sweeps_stale_temps(tmp_path, capsys):
    import time

    picture(tmp_path / "in" / "a.png")
    out = tmp_path / "o"
    out.mkdir()
    stale = out / f".a_cutout.png.{_dead_pid()}-abcd1234.tmp"  # a killed earlier run's
    stale.write_bytes(b"x" * 1000)
    os.utime(stale, (time.time() - 600,) * 2)
    unrelated = out / f".notes.txt.{_dead_pid()}-abcd1234.tmp"  # not an output of this run
    unrelated.write_bytes(b"x")
    os.utime(unrelated, (time.time() - 600,) * 2)
    old = os.umask(0o022)
    try:
        rc = segment(tmp_path / "in", "--boxes", boxes(tmp_path, {"a.png": [BOX]}), "--out", out,
                     "--cutout", "--coco", tmp_path / "coco.json")
    finally:
        os.umask(old)
    assert rc == 0
    assert not stale.exists() and unrelated.exists()
    for p in (out / "a.png", out / "a_cutout.png", tmp_path / "coco.json"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p
