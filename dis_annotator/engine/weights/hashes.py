"""SHA-256 of weight files, remembered per (path, size, mtime) so a 2.5 GB checkpoint is
hashed once, not at every start. The record lives in the user data folder, never beside
the weights (the repository's ``models/`` stays clean).

Files identified by their git blob id (no published SHA-256, docs/adr/0111) get both
digests from one read; the record then holds the blob id too, and the SHA-256 of the file
that first passed the blob check is pinned per model (``pinned_sha256.json``), so a later
file with the same SHA-1 but other bytes is still refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

from dis_annotator.engine.checkpoint import sha256_file
from dis_annotator.engine.weights.paths import user_data_dir

_lock = threading.Lock()


def _record_path() -> Path:
    return user_data_dir() / "hashes.json"


def _read() -> dict[str, dict]:
    try:
        return json.loads(_record_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def file_sha256(path: Path, use_record: bool = True) -> str:
    """SHA-256 hex digest of ``path``; reuses a remembered value while size and mtime hold."""
    p = Path(path).resolve()
    st = p.stat()
    key = str(p)
    with _lock:
        rec = _read().get(key) if use_record else None
        if rec and rec.get("size") == st.st_size and rec.get("mtime_ns") == st.st_mtime_ns:
            return str(rec["sha256"])
    digest = sha256_file(p)
    remember(p, digest)
    return digest


def remember(path: Path, digest: str, git_blob: str | None = None) -> None:
    """Store ``digest`` (and the git blob id) for ``path`` (best effort: a read-only data
    folder is fine)."""
    from dis_annotator.io.atomic import atomic_write_text

    p = Path(path).resolve()
    try:
        st = p.stat()
        with _lock:
            data = _read()
            rec = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
            old = data.get(str(p)) or {}
            if git_blob is None and old.get("sha256") == digest:
                git_blob = old.get("git_blob")  # same bytes: the blob id still holds
            if git_blob is not None:
                rec["git_blob"] = git_blob
            data[str(p)] = rec
            atomic_write_text(_record_path(), json.dumps(data, indent=1, sort_keys=True))
    except OSError:
        pass


def blob_and_sha256(path: Path, chunk: int = 1 << 20) -> tuple[str, str]:
    """(git blob id, SHA-256) of ``path`` in one read; nothing is recorded.

    The blob id is SHA-1 over ``b"blob <size>\\0"`` + content, what ``git hash-object``
    prints and what GitHub lists for a file. A file that changes size while being read
    gets a header that no longer matches its content, so it cannot pass a check.
    """
    p = Path(path)
    size = p.stat().st_size
    blob = hashlib.sha1(f"blob {size}\0".encode())
    sha = hashlib.sha256()
    with open(p, "rb") as fh:
        while block := fh.read(chunk):
            blob.update(block)
            sha.update(block)
    return blob.hexdigest(), sha.hexdigest()


def file_digests(path: Path, use_record: bool = True) -> tuple[str, str]:
    """(SHA-256, git blob id) of ``path``; reuses the record while size and mtime hold."""
    p = Path(path).resolve()
    st = p.stat()
    with _lock:
        rec = _read().get(str(p)) if use_record else None
        if (
            rec and rec.get("git_blob") and rec.get("size") == st.st_size
            and rec.get("mtime_ns") == st.st_mtime_ns
        ):
            return str(rec["sha256"]), str(rec["git_blob"])
    blob, digest = blob_and_sha256(p)
    remember(p, digest, blob)
    return digest, blob


def _pins_path() -> Path:
    return user_data_dir() / "pinned_sha256.json"


def pinned_sha256(name: str, git_blob: str) -> str | None:
    """The SHA-256 recorded when a file first passed ``name``'s git blob check, or None."""
    try:
        pins = json.loads(_pins_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    rec = pins.get(name) if isinstance(pins, dict) else None
    if isinstance(rec, dict) and rec.get("git_blob") == git_blob:
        return str(rec.get("sha256"))
    return None  # none yet, or the manifest's blob id changed since: pin anew


def pin_sha256(name: str, git_blob: str, digest: str) -> None:
    """Record ``digest`` as ``name``'s SHA-256 for blob ``git_blob`` (best effort)."""
    from dis_annotator.io.atomic import atomic_write_text

    try:
        with _lock:
            try:
                pins = json.loads(_pins_path().read_text(encoding="utf-8"))
            except (OSError, ValueError):
                pins = {}
            if not isinstance(pins, dict):
                pins = {}
            pins[name] = {"git_blob": git_blob, "sha256": digest}
            atomic_write_text(_pins_path(), json.dumps(pins, indent=1, sort_keys=True))
    except OSError:
        pass


def forget(path: Path) -> None:
    from dis_annotator.io.atomic import atomic_write_text

    p = Path(path).resolve()
    try:
        with _lock:
            data = _read()
            if data.pop(str(p), None) is not None:
                atomic_write_text(_record_path(), json.dumps(data, indent=1, sort_keys=True))
    except OSError:
        pass


def same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
