"""SHA-256 of weight files, remembered per (path, size, mtime) so a 2.5 GB checkpoint is
hashed once, not at every start. The record lives in the user data folder, never beside
the weights (the repository's ``models/`` stays clean)."""

from __future__ import annotations

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


def remember(path: Path, digest: str) -> None:
    """Store ``digest`` for ``path`` (best effort: a read-only data folder is fine)."""
    from dis_annotator.io.atomic import atomic_write_text

    p = Path(path).resolve()
    try:
        st = p.stat()
        with _lock:
            data = _read()
            data[str(p)] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
            atomic_write_text(_record_path(), json.dumps(data, indent=1, sort_keys=True))
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
