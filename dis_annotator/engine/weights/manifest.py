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


_HEX = frozenset("0123456789abcdef")


def _hex_digest(e: dict[str, Any], key: str, digits: int, where: str) -> str | None:
    """``e[key]`` as ``digits`` lower-case hex digits, or None (null / absent / empty)."""
    v = e.get(key) or None
    if v is not None and (not isinstance(v, str) or len(v) != digits or not set(v) <= _HEX):
        raise WeightsError(f"{where}: '{key}' must be {digits} lower-case hex digits or null")
    return v


def _text(e: dict[str, Any], key: str, where: str, required: bool = False) -> str | None:
    v = e.get(key)
    if v is None and not required:
        return None
    if not isinstance(v, str) or (required and not v):
        raise WeightsError(f"{where}: '{key}' must be text, got {str(v)[:40]!r}")
    return v


def _file_name(v: str, where: str) -> str:
    """A plain file name: never a path out of (or inside) the models folders."""
    if (
        not v or v in (".", "..") or "/" in v or "\\" in v or "\0" in v or ":" in v
        or Path(v).is_absolute() or Path(v).name != v
    ):
        raise WeightsError(f"{where}: 'file' must be a plain file name, got {v[:80]!r}")
    return v


def _entry(e: Any, i: int, where: str) -> ModelInfo:
    if not isinstance(e, dict):
        raise WeightsError(f"{where}: models[{i}] is not an object")
    here = f"{where}: models[{i}]"
    name = _text(e, "name", here, required=True)
    size = e.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size <= 0):
        raise WeightsError(f"{here}: 'size' must be a positive whole number, got {str(size)[:40]!r}")
    sha = _hex_digest(e, "sha256", 64, here)
    git_blob = _hex_digest(e, "git_blob", 40, here)  # SHA-1 of the git blob (docs/adr/0111)
    aliases = e.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise WeightsError(f"{here}: 'aliases' must be a list of text")
    return ModelInfo(
        name=str(name),
        kind=str(_text(e, "kind", here, required=True)),
        file=_file_name(str(_text(e, "file", here, required=True)), here),
        url=_text(e, "url", here),
        size=size,
        sha256=sha,
        license=_text(e, "license", here) or "",
        arch=_text(e, "arch", here),
        page=_text(e, "page", here),
        description=_text(e, "description", here) or "",
        local_only=bool(e.get("local_only", False)),
        aliases=tuple(aliases),
        git_blob=git_blob,
        note=_text(e, "note", here) or "",
    )


def parse_manifest(text: str, where: str) -> tuple[ModelInfo, ...]:
    """The entries of a manifest text; one-line :class:`WeightsError` for anything wrong
    (a ``file`` that is not a plain file name included: ``../x``, ``/abs``, ``a/b``)."""
    from dis_annotator.io.jsonsafe import JsonError, parse_json

    try:
        raw = parse_json(text)
    except JsonError as exc:
        raise WeightsError(f"model manifest {where} unreadable: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("models", []), list):
        raise WeightsError(f"model manifest {where} unreadable: expected {{\"models\": [...]}}")
    return tuple(_entry(e, i, where) for i, e in enumerate(raw.get("models", [])))


@lru_cache(maxsize=1)
def _entries() -> tuple[ModelInfo, ...]:
    path = manifest_path()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WeightsError(f"model manifest {path} unreadable: {exc}") from None
    return parse_manifest(text, str(path))


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
