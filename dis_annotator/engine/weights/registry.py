"""Installed weights: find, list, verify, import, remove.

Every check that reads a checkpoint goes through :mod:`dis_annotator.engine.checkpoint`
(``weights_only=True``), so a pickle that would run code is refused, never executed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from dis_annotator.engine.checkpoint import load_checkpoint, sha256_file
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.weights import hashes, manifest
from dis_annotator.engine.weights.manifest import ModelInfo
from dis_annotator.engine.weights.paths import download_dir, find_in_search_dirs, search_dirs
from dis_annotator.engine.weights.validate import validate_checkpoint


def locate(name: str) -> Path | None:
    """Path of the installed file for ``name`` (first hit in the search order) or None."""
    return find_in_search_dirs((manifest.get(name).file,))


def list_models() -> list[ModelInfo]:
    """Every manifest entry with ``path`` set where it is installed."""
    return [e.with_path(locate(e.name)) for e in manifest.entries()]


@dataclass(frozen=True)
class VerifyResult:
    """``status``: ok | unverified | mismatch | missing | unreadable | unusable (loads,
    but not into the network of its model: wrong keys, shapes or contents)."""

    name: str
    status: str
    path: Path | None
    detail: str = ""
    sha256: str | None = None

    @property
    def usable(self) -> bool:
        return self.status in ("ok", "unverified")

    def line(self) -> str:
        where = f" {self.path}" if self.path else ""
        return f"{self.name}: {self.status}{where}" + (f" ({self.detail})" if self.detail else "")


def check_file(info: ModelInfo, path: Path, use_record: bool = True) -> VerifyResult:
    """Hash ``path`` against the manifest (SHA-256, else git blob id); without either,
    prove it loads safely."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return VerifyResult(info.name, "missing", path, str(exc))
    if info.size is not None and size != info.size:
        return VerifyResult(
            info.name, "mismatch", path, f"size {size} bytes, expected {info.size}"
        )
    if info.git_blob and not info.sha256:
        digest, blob = hashes.file_digests(path, use_record=use_record)
        return check_blob(info, path, digest, blob)
    digest = hashes.file_sha256(path, use_record=use_record)
    if info.sha256:
        if digest != info.sha256:
            return VerifyResult(
                info.name, "mismatch", path,
                f"SHA-256 {digest[:12]}… expected {info.sha256[:12]}…", digest,
            )
        return VerifyResult(info.name, "ok", path, "SHA-256 matches the manifest", digest)
    try:
        obj = load_checkpoint(path)
    except WeightsError as exc:
        return VerifyResult(info.name, "unreadable", path, str(exc), digest)
    try:
        validate_checkpoint(info, obj, path.name)
    except WeightsError as exc:
        return VerifyResult(info.name, "unusable", path, str(exc), digest)
    return VerifyResult(
        info.name, "unverified", path,
        f"no published SHA-256; loads as {info.kind}; sha256 {digest[:12]}…", digest,
    )


def check_blob(info: ModelInfo, path: Path, digest: str, blob: str) -> VerifyResult:
    """Judge digests of ``path`` for an entry identified by its git blob id.

    The first file that matches has its SHA-256 pinned for ``info.name``; a later file
    must match both (SHA-1 alone is no longer collision-proof). docs/adr/0111.
    """
    assert info.git_blob is not None
    if blob != info.git_blob:
        return VerifyResult(
            info.name, "mismatch", path,
            f"git blob id {blob[:12]}… expected {info.git_blob[:12]}…", digest,
        )
    pinned = hashes.pinned_sha256(info.name, info.git_blob)
    if pinned is None:
        hashes.pin_sha256(info.name, info.git_blob, digest)
    elif pinned != digest:
        return VerifyResult(
            info.name, "mismatch", path,
            f"git blob id matches but SHA-256 {digest[:12]}… differs from {pinned[:12]}… "
            "recorded at first verification",
            digest,
        )
    return VerifyResult(
        info.name, "ok", path,
        f"git blob id matches the manifest; SHA-256 {digest[:12]}… recorded", digest,
    )


def check_download(info: ModelInfo, part: Path) -> VerifyResult:
    """Check a finished download before it is moved into place (nothing recorded for the
    temporary file; the SHA-256 is pinned when it passes)."""
    size = part.stat().st_size
    if info.size is not None and size != info.size:
        return VerifyResult(info.name, "mismatch", part, f"size {size} bytes, expected {info.size}")
    blob, digest = hashes.blob_and_sha256(part)
    return check_blob(info, part, digest, blob)


def verify(name: str | None = None) -> list[VerifyResult]:
    """Verify one model (``missing`` when not installed) or every installed model."""
    if name is not None:
        info = manifest.get(name)
        path = locate(info.name)
        if path is None:
            return [VerifyResult(info.name, "missing", None, "not installed")]
        return [check_file(info, path, use_record=False)]
    return [
        check_file(e, e.path, use_record=False) for e in list_models() if e.path is not None
    ]


def _guess_name(path: Path) -> str:
    digest = sha256_file(path)
    hit = manifest.by_sha256(digest)
    if hit is not None:
        return hit.name
    hit = manifest.by_file(path.name)
    if hit is not None:
        return hit.name
    obj = load_checkpoint(path)
    kind = obj.get("kind") if isinstance(obj, dict) and obj.get("format") else None
    if kind == "is5net":
        return "is5net"
    if kind == "pisam":
        return "pisam_vit_b"
    from dis_annotator.engine.sam_model import TINY_VIT_KEY, infer_config

    sam_keys = ("image_encoder.patch_embed.proj.weight", TINY_VIT_KEY)
    if kind == "sam" or (isinstance(obj, dict) and any(k in obj for k in sam_keys)):
        if kind == "sam":
            raise WeightsError(
                f"{path.name}: a custom SAM checkpoint; give --name sam_vit_b|l|h or mobile_sam"
            )
        return manifest.get(f"sam_{infer_config(obj).model_type}").name
    raise WeightsError(f"{path.name}: cannot tell which model this is; give --name")


def import_model(path: str | Path, name: str | None = None) -> Path:
    """Copy a local checkpoint into the download folder under the manifest's file name.

    The file must load safely (plain tensors) and, when the manifest publishes a hash,
    match it. The copy is written to a temporary name and renamed into place.
    """
    src = Path(path).expanduser()
    if not src.is_file():
        raise WeightsError(f"{src}: no such file")
    info = manifest.get(name) if name else manifest.get(_guess_name(src))
    res = check_file(info, src, use_record=False)
    if not res.usable:
        detail = res.detail.removeprefix(f"{src.name}: ")
        raise WeightsError(f"{src.name}: refused for {info.name}: {res.status}, {detail}")
    target = download_dir() / info.file
    if target.exists() and hashes.same_file(src, target):
        return target
    tmp = target.with_name(f".{target.name}.import.tmp")
    try:
        shutil.copyfile(src, tmp)
        if sha256_file(tmp) != res.sha256:
            raise WeightsError(f"{src.name}: changed while being copied")
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    blob = info.git_blob if info.git_blob and res.status == "ok" else None
    hashes.remember(target, str(res.sha256), blob)
    return target


def remove(name: str) -> list[Path]:
    """Delete every installed copy of ``name`` (and partial downloads); returns them."""
    info = manifest.get(name)
    removed = []
    for d in search_dirs():
        for p in (d / info.file, d / f"{info.file}.part"):
            if p.is_file():
                p.unlink()
                hashes.forget(p)
                removed.append(p)
    return removed


def installed_summary() -> str:
    """One line for ``dis-annotator --version``."""
    rows = [e for e in list_models() if e.path is not None]
    if not rows:
        return "weights: none installed (classical stages only; see `dis-annotator models list`)"
    return "weights: " + ", ".join(f"{e.name} ({e.path})" for e in rows)
