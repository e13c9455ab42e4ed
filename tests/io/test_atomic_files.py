"""Issue 13 cases 9 and 10: file modes of atomic writes, stale temporary files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dis_annotator.io import atomic as atomic_mod
from dis_annotator.io import atomic_write_bytes, write_cutout_png, write_mask_png

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@posix_only
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_new_files_get_the_mode_plain_open_gives(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        with open(tmp_path / "plain", "wb") as fh:
            fh.write(b"x")
        m = np.zeros((6, 8), bool)
        m[1:4, 2:5] = True
        write_mask_png(tmp_path / "m.png", m)
        write_cutout_png(tmp_path / "c.png", np.zeros((6, 8, 3), np.uint8), m)
        atomic_write_bytes(tmp_path / "sub" / "x.json", b"{}")
    finally:
        os.umask(old)
    want = _mode(tmp_path / "plain")
    assert want == 0o666 & ~umask
    for name in ("m.png", "c.png", "sub/x.json"):
        assert _mode(tmp_path / name) == want, name


@posix_only
def test_replacing_a_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "kept.png"
    target.write_bytes(b"old")
    target.chmod(0o640)
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new" and _mode(target) == 0o640


def _stale(folder: Path, name: str, pid: int, age_s: float, rand: str = "abcd1234") -> Path:
    p = folder / f".{name}.{pid}-{rand}.tmp"
    p.write_bytes(b"partial")
    t = time.time() - age_s
    os.utime(p, (t, t))
    return p


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temp_files_of_dead_writers_are_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    old_dead = _stale(tmp_path, "a.png", dead, 3600)
    fresh_dead = _stale(tmp_path, "a.png", dead, 0, "wxyz5678")  # may still be renamed by a slow FS: kept
    live = _stale(tmp_path, "b.png", os.getppid(), 3600)  # a live process: its write may go on
    legacy_old = tmp_path / ".c.png.k2j4h5l6.tmp"  # from before pids were in the name
    legacy_old.write_bytes(b"x")
    os.utime(legacy_old, (time.time() - 2 * 86400,) * 2)
    foreign = tmp_path / ".notes.txt.tmp"  # not a name we create
    foreign.write_bytes(b"x")
    os.utime(foreign, (time.time() - 2 * 86400,) * 2)
    removed = atomic_mod.remove_stale_temps(tmp_path)
    assert set(removed) == {old_dead, legacy_old}
    assert fresh_dead.exists() and live.exists() and foreign.exists()


def test_a_killed_write_leaves_a_temp_file_that_a_later_sweep_removes(tmp_path: Path) -> None:
    # A writer killed with SIGKILL mid-write (what kill -9 during autosave did).
    code = (
        "import os, sys\n"
        "from dis_annotator.io import atomic_open\n"
        "with atomic_open(sys.argv[1]) as fh:\n"
        "    fh.write(b'half'); fh.flush()\n"
        "    os.kill(os.getpid(), 9)\n"
    )
    target = tmp_path / "big_cutout.png"
    proc = subprocess.run([sys.executable, "-c", code, str(target)], cwd=Path(__file__).parents[2])
    assert proc.returncode != 0
    left = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(left) == 1 and not target.exists()
    assert atomic_mod.remove_stale_temps(tmp_path) == []  # too fresh to be sure yet
    os.utime(left[0], (time.time() - 600,) * 2)
    assert atomic_mod.remove_stale_temps(tmp_path, names={"other.png"}) == []  # not asked for
    assert atomic_mod.remove_stale_temps(tmp_path, names={"big_cutout.png"}) == left
    assert list(tmp_path.iterdir()) == []
