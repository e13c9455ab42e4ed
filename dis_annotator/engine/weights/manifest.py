"""The model manifest (``models/manifest.json``): which weights exist, where they come from.

A ``sha256`` of None means no hash has been published: such files are reported as
"unverified", never checked against an invented value, unless ``git_blob`` gives the
file's git blob id (SHA-1 of ``b"blob <size>\\0"`` + content, the identity GitHub shows
for a file in a repository), which is then checked instead (docs/adr/0111). ``url`` None
means there is no direct link (manual download from ``page`` + ``models import``).
``note`` is one line ``models list`` prints under the entry. ``local_only`` entries
are this project's own trained checkpoints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from dis_annotator.engine.errors import WeightsError


@dataclass(frozen=True)
class ModelInfo:
    """One manifest entry; ``path`` is where it is installed (None when it is not)."""

    name: str
    kind: str
    file: str
    url: str | None = None
    size: int | None = None
    sha256: str | None = None
    license: str = ""
    path: Path | None = None
    arch: str | None = None
    page: str | None = None
    description: str = ""
    local_only: bool = False
    aliases: tuple[str, ...] = field(default=())
    git_blob: str | None = None
    note: str = ""

    @property
    def installed(self) -> bool:
        return self.path is not None

    def with_path(self, path: Path | None) -> ModelInfo:
        return replace(self, path=path)


def manifest_path() -> Path:
    from dis_annotator.resources import data_root

    return data_root("models") / "manifest.json"


@lru_cache(maxsize=1)
def _entries() -> tuple[ModelInfo, ...]:
    path = manifest_path()
    try:
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WeightsError(f"model manifest {path} unreadable: {exc}") from None
    out = []
    for e in raw.get("models", []):
        out.append(
            ModelInfo(
                name=e["name"],
                kind=e["kind"],
                file=e["file"],
                url=e.get("url"),
                size=e.get("size"),
                sha256=(e.get("sha256") or None),
                license=e.get("license", ""),
                arch=e.get("arch"),
                page=e.get("page"),
                description=e.get("description", ""),
                local_only=bool(e.get("local_only", False)),
                aliases=tuple(e.get("aliases", ())),
                git_blob=(e.get("git_blob") or None),
                note=e.get("note", ""),
            )
        )
    return tuple(out)


def entries() -> list[ModelInfo]:
    """All manifest entries (``path`` unset)."""
    return list(_entries())


def get(name: str) -> ModelInfo:
    """Entry by name or alias (case-insensitive); WeightsError listing valid names."""
    key = name.strip().lower()
    for e in _entries():
        if key == e.name or key in (a.lower() for a in e.aliases):
            return e
    names = ", ".join(e.name for e in _entries())
    raise WeightsError(f"unknown model {name!r}; known models: {names}")


def by_file(filename: str) -> ModelInfo | None:
    for e in _entries():
        if e.file == filename:
            return e
    return None


def by_sha256(digest: str) -> ModelInfo | None:
    for e in _entries():
        if e.sha256 and e.sha256 == digest:
            return e
    return None
