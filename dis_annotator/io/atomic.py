"""Atomic file writes: write to a temporary file beside the target, fsync, rename.

A crash or exception mid-write leaves the previous file (or no file) under the final
name, never a truncated one. ``os.replace`` is atomic on POSIX and Windows when source
and target are on the same file system, hence the temporary file in the same folder.

The result gets the permission bits a plain ``open(path, "w")`` would give: those of the
file it replaces, else ``0o666`` minus the umask (``mkstemp`` alone would leave 0600).
Temporary files are named ``.<target name>.<pid>-<random>.tmp``; a writer killed with
SIGKILL leaves one behind, which :func:`remove_stale_temps` recognises and removes once
its process is gone (docs/adr/0006, 0121).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO

# A dead writer's temp file is removed after this many seconds (a writer on another host
# sharing the folder has a pid we cannot check; no single write takes this long).
DEAD_WRITER_GRACE_S = 60.0
# Temp files of a live pid (pid reuse) or in the old pid-less form: removed when older.
MAX_TEMP_AGE_S = 24 * 3600.0
LEGACY_TEMP_AGE_S = 3600.0

_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[a-z0-9_]{8}\.tmp$")
_LEGACY_TEMP = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")
_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:
        # The restrictive value is in force for a moment only; a file another thread
        # creates meanwhile errs on the private side.
        old = os.umask(0o077)
        os.umask(old)
    return old


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~current_umask()


def _set_mode(fd: int, tmp: str, mode: int) -> None:
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        else:  # Windows: only the read-only bit means anything
            os.chmod(tmp, mode)
    except OSError:
        pass  # a file system without permission bits (FAT, some mounts): keep what it gives


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file for writing; on clean exit it replaces ``path``."""
    if "r" in mode or "a" in mode:
        raise ValueError("atomic_open is for writing whole files")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}-", suffix=".tmp", dir=target.parent
    )
    try:
        _set_mode(fd, tmp, _mode_for(target))
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_open(path, "w") as fh:
        fh.write(text)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # our own: maybe another thread's write in progress
    if os.name != "posix":
        return True  # os.kill(pid, 0) would terminate the process on Windows: go by age
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def is_stale_temp(path: Path, now: float | None = None) -> bool:
    """Whether ``path`` is a temp file :func:`atomic_open` left behind and nobody writes.

    Ours when named like ours; stale when its writer's process is gone (and the file is
    older than a short grace), or when it is very old whatever the pid says.
    """
    m = _TEMP.match(path.name)
    legacy = None if m else _LEGACY_TEMP.match(path.name)
    if m is None and legacy is None:
        return False
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except OSError:
        return False
    if legacy is not None:
        return age > LEGACY_TEMP_AGE_S
    if age > MAX_TEMP_AGE_S:
        return True
    return age > DEAD_WRITER_GRACE_S and not _pid_alive(int(m.group("pid")))


def temp_target(path: Path) -> str | None:
    """The target name a temp file of ours was for, None when not one of ours."""
    m = _TEMP.match(path.name) or _LEGACY_TEMP.match(path.name)
    return m.group("name") if m else None


def remove_stale_temps(
    folder: str | os.PathLike[str], names: Collection[str] | None = None
) -> list[Path]:
    """Delete stale temp files of :func:`atomic_open` in ``folder``; returns them.

    ``names``: only temp files for these target names (None: any target). Never raises:
    a file that cannot be removed is left for the next time.
    """
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.endswith(".tmp") or not entry.name.startswith("."):
            continue
        p = Path(entry.path)
        target = temp_target(p)
        if target is None or (names is not None and target not in names):
            continue
        if is_stale_temp(p, now):
            try:
                p.unlink()
            except OSError:
                continue
            removed.append(p)
    return removed
