"""Autosave: one image's annotation as ``<folder>/.dis-annotator/<image name>.json`` plus
one PNG per object mask (docs/adr/0060).

- Names use the full image file name (``a.jpg.json``), so ``a.jpg`` and ``a.png`` in one
  folder never collide.
- Mask files are content-addressed: ``<image name>.<object id>.<digest>.png`` (0/255,
  full size). A save writes only masks whose file does not exist yet (an 8K autosave after
  a label change writes just the JSON), then the JSON last, atomically, then removes the
  mask files that no JSON references any more. A crash at any point leaves the previous
  JSON and every file it references intact.
- Loading checks the image size (and the content key when both sides know it). A sidecar
  made for other pixels is refused with :class:`SidecarMismatch` and left untouched, and
  ``save_sidecar`` will not overwrite it unless told to (then it is renamed aside).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from dis_annotator.annotation.document import Document
from dis_annotator.annotation.serialize import (
    SidecarError,
    check_header,
    document_from_json,
    document_to_json,
    mask_digest,
    mask_stats,
)
from dis_annotator.io import atomic_write_text, read_mask_png, write_mask_png

SIDECAR_DIR = ".dis-annotator"
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class SidecarMismatch(SidecarError):
    """The sidecar belongs to an image of another size or content; it was left as it is."""


def sidecar_dir(image_path: str | os.PathLike[str]) -> Path:
    return Path(image_path).parent / SIDECAR_DIR


def sidecar_path(image_path: str | os.PathLike[str]) -> Path:
    """``<image folder>/.dis-annotator/<image file name>.json``."""
    p = Path(image_path)
    return p.parent / SIDECAR_DIR / f"{p.name}.json"


def _file_id(obj_id: str) -> str:
    if _SAFE_ID.match(obj_id):
        return obj_id
    return "x" + mask_digest(np.frombuffer(obj_id.encode(), dtype=np.uint8)[None, :] > 0)[:12]


def mask_file_name(image_name: str, obj_id: str, digest: str) -> str:
    return f"{image_name}.{_file_id(obj_id)}.{digest}.png"


def _mask_file_pattern(image_name: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(image_name)}\.([A-Za-z0-9_-]{{1,64}})\.[0-9a-f]{{16}}\.png$")


def read_sidecar_json(image_path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The parsed JSON of an image's sidecar, None when there is none."""
    jp = sidecar_path(image_path)
    try:
        text = jp.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SidecarError(f"{jp}: cannot read ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SidecarError(f"{jp}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    check_header(data, str(jp))
    return data


def _mismatch(data: dict[str, Any], width: int, height: int, key: str | None) -> str | None:
    """Why ``data`` does not describe a ``width``×``height`` image with content ``key``."""
    img = data.get("image", {})
    w, h = img.get("width"), img.get("height")
    if (w, h) != (width, height):
        return f"it was made for a {w}x{h} image but the image is {width}x{height}"
    their = img.get("key")
    if key and their and key != their:
        return "it was made for an image with different pixels (content key differs)"
    return None


def _backup_name(jp: Path, why: str) -> Path:
    return jp.with_name(f"{jp.stem}.{why}-{time.strftime('%Y%m%dT%H%M%S')}.json")


def save_sidecar(doc: Document, replace_mismatched: bool = False) -> Path:
    """Write ``doc`` to its sidecar; returns the JSON path and marks ``doc`` saved.

    Raises :class:`SidecarMismatch` when the existing sidecar belongs to other pixels,
    unless ``replace_mismatched``: then that JSON is renamed to
    ``<name>.mismatched-<time>.json`` (its masks are kept) and a new one is written. An
    unreadable existing JSON is renamed to ``<name>.damaged-<time>.json`` likewise.
    Not thread-safe with edits: to save in the background, save ``doc.snapshot()``.
    """
    jp = sidecar_path(doc.image_path)
    folder = jp.parent
    revision = doc.revision
    old_ids: set[str] = set()
    try:
        old = read_sidecar_json(doc.image_path)
    except SidecarError:
        old = None
        if jp.exists():
            os.replace(jp, _backup_name(jp, "damaged"))
    if old is not None:
        why = _mismatch(old, doc.width, doc.height, doc.image_key)
        if why is not None:
            if not replace_mismatched:
                raise SidecarMismatch(f"{jp}: not overwritten: {why}")
            os.replace(jp, _backup_name(jp, "mismatched"))
        else:
            old_ids = {_file_id(str(o.get("id"))) for o in old.get("objects", [])}

    folder.mkdir(parents=True, exist_ok=True)
    entries: dict[str, dict[str, Any]] = {}
    for obj in doc.objects:
        digest = mask_digest(obj.mask)
        name = mask_file_name(doc.image_path.name, obj.id, digest)
        if not (folder / name).is_file():
            write_mask_png(folder / name, obj.mask)
        entries[obj.id] = {"file": name, "digest": digest, **mask_stats(obj.mask)}
    text = json.dumps(document_to_json(doc, entries), indent=1, allow_nan=False)
    atomic_write_text(jp, text + "\n")

    # Only after the JSON is in place: drop mask files of this image's objects that
    # no longer appear in it (older versions, deleted objects).
    keep = {e["file"] for e in entries.values()}
    ours = old_ids | {_file_id(o.id) for o in doc.objects}
    pattern = _mask_file_pattern(doc.image_path.name)
    for f in folder.iterdir():
        m = pattern.match(f.name)
        if m and m.group(1) in ours and f.name not in keep:
            try:
                f.unlink()
            except OSError:
                pass  # a leftover file costs disk only; never fail a save for it
    doc.mark_saved(revision)
    return jp


def _load_mask(folder: Path, where: str):
    def load(entry: dict[str, Any]) -> np.ndarray:
        if "file" not in entry:
            raise SidecarError(f"{where}: mask entry without a file")
        path = folder / Path(str(entry["file"])).name
        if not path.is_file():
            raise SidecarError(f"{where}: mask file {path.name} is missing")
        try:
            mask = read_mask_png(path)
        except ValueError:
            raise SidecarError(f"{where}: mask file {path.name} cannot be read") from None
        digest = entry.get("digest")
        if digest and mask_digest(mask) != digest:
            raise SidecarError(f"{where}: mask file {path.name} is damaged (digest differs)")
        return mask

    return load


def load_sidecar(
    image_path: str | os.PathLike[str],
    image_key: str | None = None,
    size: tuple[int, int] | None = None,
) -> Document | None:
    """The saved annotation of ``image_path``, or None when it has no sidecar.

    ``size`` = ``(width, height)`` of the image (read from the file header when omitted);
    ``image_key`` = its content key (``ImageData.key``) when known. Raises
    :class:`SidecarMismatch` when the sidecar belongs to other pixels and
    :class:`SidecarError` when it is damaged; the files are never modified.
    """
    path = Path(image_path)
    data = read_sidecar_json(path)
    if data is None:
        return None
    jp = sidecar_path(path)
    if size is None:
        from dis_annotator.io.load import image_size

        try:
            size = image_size(path)
        except OSError as exc:
            raise SidecarError(f"{path}: cannot read the image size ({exc})") from None
    why = _mismatch(data, int(size[0]), int(size[1]), image_key)
    if why is not None:
        raise SidecarMismatch(f"{jp}: refused, {why}; the sidecar was left untouched")
    doc = document_from_json(data, path, _load_mask(jp.parent, str(jp)), where=str(jp))
    if image_key and not doc.image_key:
        doc.image_key = image_key
    doc.mark_saved()
    return doc


def sidecar_status(image_path: str | os.PathLike[str]) -> str:
    """``"none"`` (no sidecar), ``"empty"`` (objects without pixels or none),
    ``"masks"`` (at least one non-empty mask) or ``"error"`` — from the JSON only."""
    try:
        data = read_sidecar_json(image_path)
    except SidecarError:
        return "error"
    if data is None:
        return "none"
    for o in data.get("objects", []):
        entry = o.get("mask") or {}
        if int(entry.get("area", 0) or 0) > 0:
            return "masks"
    return "empty"
