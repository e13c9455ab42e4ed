"""``resolve_weights(name)``: the one way a stage finds its checkpoint.

The same search order for every kind of weights (``paths.search_dirs``: the
``$DIS_ANNOTATOR_MODELS`` folders, the repository's ``models/``, the user folder). A name
the manifest knows (or an alias) is looked up under the manifest's file name; any other
name (Pi-SAM for vit_l/vit_h, test models) as ``<name>.pth`` then ``<name>.pt``. When the
manifest publishes a hash (SHA-256, or a git blob id with the SHA-256 pinned at first
verification) the file must match it, else :class:`WeightsError`; without one the
file's SHA-256 is still computed (remembered per size and mtime) so provenance always
names the exact checkpoint (docs/adr/0090).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.weights import hashes, manifest
from dis_annotator.engine.weights.manifest import ModelInfo
from dis_annotator.engine.weights.paths import find_in_search_dirs
from dis_annotator.engine.weights.registry import check_file

UNLISTED_SUFFIXES = (".pth", ".pt")


@dataclass(frozen=True)
class ResolvedWeights:
    """An installed checkpoint: manifest ``name`` (or the name asked for), where, its hash.

    ``verified`` is True when the hash (or git blob id) matched a published value, False
    when there was none to check against.
    """

    name: str
    path: Path
    sha256: str
    verified: bool


def _manifest_entry(name: str) -> ModelInfo | None:
    try:
        return manifest.get(name)
    except WeightsError:  # not in the manifest: looked up as <name>.pth / <name>.pt
        return None


def _published(info: ModelInfo) -> bool:
    """Whether the manifest gives something to check the file against: a SHA-256, or a
    git blob id (MobileSAM, docs/adr/0111). New integrity kinds belong here and in
    ``registry.check_file``."""
    return bool(info.sha256 or info.git_blob)


def find_file(name: str) -> tuple[ModelInfo | None, Path | None]:
    """``(manifest entry or None, first file found in the search order or None)``."""
    info = _manifest_entry(name)
    files = (info.file,) if info is not None else tuple(f"{name}{s}" for s in UNLISTED_SUFFIXES)
    return info, find_in_search_dirs(files)


def resolve_weights(name: str) -> ResolvedWeights | None:
    """The installed, checked file for ``name``; None when it is not installed.

    Raises :class:`WeightsError` when the file contradicts the manifest (size or hash).
    """
    info, path = find_file(name)
    if path is None:
        return None
    if info is not None and _published(info):
        res = check_file(info, path)
        if res.status != "ok":
            raise WeightsError(f"{path.name}: refused, {res.detail} (re-download it)")
        return ResolvedWeights(info.name, path, str(res.sha256), True)
    return ResolvedWeights(info.name if info else name, path, hashes.file_sha256(path), False)
