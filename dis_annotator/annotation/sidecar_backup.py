"""Backups of sidecar JSON files and what they protect (docs/adr/0124).

- A sidecar that is damaged (or made for other pixels) is copied to
  ``<image name>.<why>-<UTC time to the microsecond>[-n].json`` before the first save
  overwrites it. The name is created exclusively, so two backups never overwrite each
  other, however close together.
- Mask files named in any backup of an image, and the files that existed when it was
  made of any object id it mentions, are never deleted by that image's saves.
- A sidecar this process read without problems, or wrote, is remembered by its file
  identity, so a save does not re-verify it; any other existing sidecar is verified
  (and backed up when damaged) before it is replaced.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_MAX_BACKUP_BYTES = 64 << 20  # a bigger "backup" is not one of ours: do not scan it


def backup_name_pattern(json_name: str) -> re.Pattern[str]:
    """Backups of ``<image name>.json``: ``<image name>.<why>-<stamp>.json``."""
    stem = json_name[: -len(".json")] if json_name.endswith(".json") else json_name
    return re.compile(rf"^{re.escape(stem)}\.(damaged|mismatched)-[0-9T.\-]+\.json$")


def make_backup(jp: Path, why: str) -> Path:
    """Copy ``jp`` to a new, unique backup beside it; returns the backup's path."""
    data = jp.read_bytes()
    stem = jp.name[: -len(".json")]
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}"
    for n in range(1000):
        target = jp.with_name(f"{stem}.{why}-{stamp}{'' if n == 0 else f'-{n}'}.json")
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target
    raise OSError(f"{jp}: no free backup name")


class _Referenced:
    """Mask file names and object ids mentioned in backups, cached per file identity."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple[int, int, int], frozenset[str]]] = {}
        self._lock = threading.Lock()

    def names(self, backup: Path, mask_name: re.Pattern[str]) -> frozenset[str]:
        """File names as they are, object ids as ``"id:<id>"``."""
        try:
            st = backup.stat()
        except OSError:
            return frozenset()
        ident = (st.st_mtime_ns, st.st_size, st.st_ino)
        key = f"{backup}|{mask_name.pattern}"
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] == ident:
            return hit[1]
        if st.st_size > _MAX_BACKUP_BYTES:
            return frozenset({"*"})  # not scanned: protect everything rather than guess
        try:
            text = backup.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return frozenset({"*"})
        found = frozenset(_mentioned(text, mask_name))
        with self._lock:
            self._cache[key] = (ident, found)
        return found


_referenced = _Referenced()


def _strings(value: object) -> list[str]:
    out, stack = [], [value]
    while stack:  # iterative: a backup may be nested arbitrarily deep
        v = stack.pop()
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return out


_ID_IN_TEXT = re.compile(r'"id"\s*:\s*"([^"\\]{1,200})"')


def _mentioned(text: str, mask_name: re.Pattern[str]) -> set[str]:
    """Mask file names and ``"id:<object id>"`` entries a backup mentions: from its JSON
    strings (non-ASCII image names are escaped in the text) plus a plain text scan, so a
    backup that is no longer valid JSON still protects its files."""
    from dis_annotator.io.jsonsafe import JsonError, parse_json

    unescaped = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    found = {m.group(0) for t in (text, unescaped) for m in mask_name.finditer(t)}
    found |= {f"id:{m.group(1)}" for m in _ID_IN_TEXT.finditer(unescaped)}
    try:
        data = parse_json(text, allow_duplicate_keys=True)
    except JsonError:
        return found
    for s in _strings(data):
        found |= {m.group(0) for m in mask_name.finditer(s)}
    objects = data.get("objects") if isinstance(data, dict) else None
    items = objects.values() if isinstance(objects, dict) else objects if isinstance(objects, list) else []
    for o in items:
        oid = o.get("id") if isinstance(o, dict) else None
        if isinstance(oid, (str, int)) and not isinstance(oid, bool):
            found.add(f"id:{oid}")
    return found


@dataclass
class Kept:
    """What the backups of one image protect from deletion."""

    names: set[str] = field(default_factory=set)  # mask files a backup names
    # object id -> mtime of the newest backup mentioning it: that object's mask files
    # older than the backup are kept (a backup whose mask entry is junk still has them)
    ids: dict[str, float] = field(default_factory=dict)
    everything: bool = False  # a backup could not be read: keep every file of the image

    def keeps(self, name: str, file_id: str, mtime: float, id_of: Callable[[str], str]) -> bool:
        if self.everything or name in self.names:
            return True
        for oid, stamp in self.ids.items():
            # same clock, same granularity: a file written before the backup is not newer
            if id_of(oid) == file_id and mtime <= stamp:
                return True
        return False


def files_kept_by_backups(
    folder: Path, json_name: str, mask_name: re.Pattern[str], names: list[str] | None = None
) -> Kept:
    """What the backups of ``json_name`` in ``folder`` protect (``names``: the folder's
    listing, when the caller has one). Mask files are immutable once written, so "older
    than the backup" means "existed when it was made": later versions of the same object
    are not held back."""
    kept = Kept()
    backups = backup_name_pattern(json_name)
    if names is None:
        try:
            names = [e.name for e in os.scandir(folder)]
        except OSError:
            kept.everything = True
            return kept
    for name in names:
        if not backups.match(name):
            continue
        path = folder / name
        found = _referenced.names(path, mask_name)
        try:
            stamp = path.stat().st_mtime
        except OSError:
            continue
        if "*" in found:
            kept.everything = True
        for item in found:
            if item.startswith("id:"):
                kept.ids[item[3:]] = max(stamp, kept.ids.get(item[3:], 0.0))
            else:
                kept.names.add(item)
    return kept


class KnownClean:
    """Sidecar files known to be intact: read without problems or written by us."""

    def __init__(self) -> None:
        self._ids: dict[str, tuple[int, int, int]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _ident(st: os.stat_result) -> tuple[int, int, int]:
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def remember(self, path: Path, st: os.stat_result | None = None) -> None:
        try:
            st = st or path.stat()
        except OSError:
            return
        with self._lock:
            self._ids[os.path.abspath(path)] = self._ident(st)

    def forget(self, path: Path) -> None:
        with self._lock:
            self._ids.pop(os.path.abspath(path), None)

    def __contains__(self, path: Path) -> bool:
        try:
            st = path.stat()
        except OSError:
            return False
        with self._lock:
            return self._ids.get(os.path.abspath(path)) == self._ident(st)


known_clean = KnownClean()
