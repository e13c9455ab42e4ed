"""Autosave: one image's annotation as ``<folder>/.dis-annotator/<image name>.json`` plus
one PNG per object mask (docs/adr/0060).

- Names use the full image file name (``a.jpg.json``), so ``a.jpg`` and ``a.png`` in one
  folder never collide.
- Mask files are content-addressed: ``<image name>.<object id>.<digest>.png`` (1-bit
  PNG, full size). A save writes only masks whose file does not exist yet (an 8K autosave after
  a label change writes just the JSON), then the JSON last, atomically, then removes the
  mask files that no JSON references any more. A crash at any point leaves the previous
  JSON and every file it references intact.
- Edit layers (version 2) are inlined in the JSON as RLE windows; the PNG is the
  composed mask, so every reader of the PNGs sees what the user saw (docs/adr/0131).
- Loading checks the image size (and the content key when both sides know it). A sidecar
  made for other pixels is refused with :class:`SidecarMismatch` and left untouched, and
  ``save_sidecar`` will not overwrite it unless told to (then it is backed up first).
- A damaged sidecar never loses the intact objects: :func:`read_sidecar` loads them and
  reports each damaged object by name; the first save backs the original JSON up under
  a unique name, and mask files referenced by any backup are kept (docs/adr/0123, 0124).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from dis_annotator.annotation.document import Document, ObjectRecord
from dis_annotator.annotation.serialize import (
    SidecarError,
    check_header,
    document_to_json,
    mask_digest,
    mask_stats,
)
from dis_annotator.annotation.sidecar_backup import files_kept_by_backups, known_clean, make_backup
from dis_annotator.annotation.sidecar_parse import image_record, parse_document
from dis_annotator.io import atomic_write_bytes, atomic_write_text, read_mask_png
from dis_annotator.io.atomic import remove_stale_temps
from dis_annotator.io.jsonsafe import JsonError, parse_json

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
    raw = obj_id.encode("utf-8", "surrogatepass")  # JSON allows lone surrogates in ids
    return "x" + mask_digest(np.frombuffer(raw, dtype=np.uint8)[None, :] > 0)[:12]


def mask_file_name(image_name: str, obj_id: str, digest: str) -> str:
    return f"{image_name}.{_file_id(obj_id)}.{digest}.png"


def _mask_file_pattern(image_name: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(image_name)}\.([A-Za-z0-9_-]{{1,64}})\.[0-9a-f]{{16}}\.png$")


def _mask_file_name_pattern(image_name: str) -> re.Pattern[str]:
    """The same names, found anywhere in a text (a backup JSON)."""
    return re.compile(rf"{re.escape(image_name)}\.[A-Za-z0-9_-]{{1,64}}\.[0-9a-f]{{16}}\.png")


def _read_json(jp: Path) -> tuple[dict[str, Any], os.stat_result] | None:
    """The parsed, header-checked JSON at ``jp`` and the stat of what was read; None
    when there is no file. Raises :class:`SidecarError` (one line) for anything else."""
    try:
        with open(jp, "rb") as fh:
            st = os.fstat(fh.fileno())
            raw = fh.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise SidecarError(f"{jp}: is a folder, not a sidecar") from None
    except (OSError, MemoryError) as exc:
        raise SidecarError(f"{jp}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        data = parse_json(raw.decode("utf-8"), allow_duplicate_keys=True)
    except UnicodeDecodeError as exc:
        raise SidecarError(f"{jp}: not valid JSON (not UTF-8 at byte {exc.start})") from None
    except JsonError as exc:
        raise SidecarError(f"{jp}: not valid JSON ({str(exc).removeprefix('invalid JSON (')[:-1]})") from None
    check_header(data, str(jp))
    return data, st


def read_sidecar_json(image_path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The parsed JSON of an image's sidecar, None when there is none."""
    got = _read_json(sidecar_path(image_path))
    return None if got is None else got[0]


def _mismatch(data: dict[str, Any], width: int, height: int, key: str | None) -> str | None:
    """Why ``data`` does not describe a ``width``×``height`` image with content ``key``
    (None also when its image entry is unreadable: that is damage, not a mismatch)."""
    rec = image_record(data)
    if rec is None:
        return None
    w, h, their = rec
    if (w, h) != (width, height):
        return f"it was made for a {w}x{h} image but the image is {width}x{height}"
    if key and their and key != their:
        return "it was made for an image with different pixels (content key differs)"
    return None


def _mask_files(data: dict[str, Any]) -> list[str]:
    """Mask file names a sidecar references (whatever else is wrong with it)."""
    objects = data.get("objects")
    out = []
    for o in objects if isinstance(objects, list) else []:
        entry = o.get("mask") if isinstance(o, dict) else None
        name = entry.get("file") if isinstance(entry, dict) else None
        if isinstance(name, str) and name:
            out.append(Path(name).name)
    return out


def _object_file_ids(data: dict[str, Any]) -> set[str]:
    """File ids of the objects a sidecar names (whatever else is wrong with it)."""
    objects = data.get("objects")
    if not isinstance(objects, list):
        return set()
    return {
        _file_id(str(o["id"]))
        for o in objects
        if isinstance(o, dict) and isinstance(o.get("id"), (str, int)) and not isinstance(o.get("id"), bool)
    }


class _DigestCache:
    """mask_token → (digest, stats): tokens are unique per content, so a hit is exact."""

    def __init__(self, size: int = 1024) -> None:
        self._data: OrderedDict[int, tuple[str, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, token: int) -> tuple[str, dict[str, Any]] | None:
        with self._lock:
            hit = self._data.get(token)
            if hit is not None:
                self._data.move_to_end(token)
            return hit

    def put(self, token: int, value: tuple[str, dict[str, Any]]) -> None:
        with self._lock:
            self._data[token] = value
            while len(self._data) > self._size:
                self._data.popitem(last=False)


_digests = _DigestCache()

_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


def _path_lock(path: Path) -> threading.Lock:
    key = os.path.normcase(os.path.abspath(path))
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def _describe(mask: np.ndarray, token: int) -> tuple[str, dict[str, Any]]:
    hit = _digests.get(token)
    if hit is None:
        hit = (mask_digest(mask), mask_stats(mask))
        _digests.put(token, hit)
    return hit


def encode_mask_png(mask: np.ndarray) -> bytes:
    """1-bit (bilevel) PNG: ~5× faster to write than 8-bit at 8K, a third of the size;
    any PNG reader (and ``io.read_mask_png``) reads it back as 0/255."""
    # uint8 0/255 without an int64 temporary (np.where would allocate 8 bytes/pixel)
    u8 = np.ascontiguousarray(mask, dtype=bool).view(np.uint8) * np.uint8(255)
    ok, buf = cv2.imencode(
        ".png", u8, [cv2.IMWRITE_PNG_BILEVEL, 1, cv2.IMWRITE_PNG_COMPRESSION, 1]
    )
    if not ok:
        raise OSError("PNG encoding failed")
    return buf.tobytes()


def write_mask_png(path: Path, mask: np.ndarray) -> None:
    atomic_write_bytes(path, encode_mask_png(mask))


@dataclass
class _Item:
    record: ObjectRecord  # metadata only (mask is a 0×0 placeholder)
    token: int
    mask: np.ndarray | None  # a private copy, or None when its file already exists
    described: tuple[str, dict[str, Any]] | None


@dataclass
class PendingSave:
    """A save captured by :func:`prepare_save`; :meth:`write` may run in any thread."""

    image_path: Path
    width: int
    height: int
    image_key: str | None
    revision: int
    items: list[_Item]
    replace_mismatched: bool = False

    def write(self) -> Path:
        """Write the sidecar (masks first, JSON last, then orphans removed); returns the
        JSON path. Does not touch the live document: call ``doc.mark_saved(revision)``.

        Writes of one image are serialised (a lock per sidecar), so two threads can never
        delete each other's mask files; the caller keeps saves in order (the last write
        wins).
        """
        jp = sidecar_path(self.image_path)
        with _path_lock(jp):
            return self._write(jp)

    def _existing(self, jp: Path) -> tuple[str, str, set[str]]:
        """(state, reason, object file ids) of the JSON about to be replaced; state is
        ``none``, ``clean``, ``damaged`` or ``mismatched``."""
        try:
            got = _read_json(jp)
        except SidecarError as exc:
            return ("damaged", str(exc), set()) if jp.is_file() else ("none", "", set())
        if got is None:
            return "none", "", set()
        data, _ = got
        ids = _object_file_ids(data)
        why = _mismatch(data, self.width, self.height, self.image_key)
        if why is not None:
            return "mismatched", why, ids
        if jp in known_clean and all((jp.parent / f).is_file() for f in _mask_files(data)):
            return "clean", "", ids
        # Not read cleanly by us nor written by us: verify it, masks included.
        try:
            load = read_sidecar(self.image_path, self.image_key, (self.width, self.height))
        except SidecarError as exc:
            return "damaged", str(exc), ids
        if load is not None and load.problems:
            return "damaged", load.problems[0], ids
        return "clean", "", ids

    def _write(self, jp: Path) -> Path:
        folder = jp.parent
        state, why, old_ids = self._existing(jp)
        if state == "mismatched":
            if not self.replace_mismatched:
                raise SidecarMismatch(f"{jp}: not overwritten: {why}")
            make_backup(jp, "mismatched")
        elif state == "damaged":
            make_backup(jp, "damaged")

        folder.mkdir(parents=True, exist_ok=True)
        meta = Document(self.image_path, self.width, self.height, self.image_key)
        entries: dict[str, dict[str, Any]] = {}
        for item in self.items:
            rec = item.record
            if item.mask is not None:
                digest, stats = _describe(item.mask, item.token)
            else:
                assert item.described is not None
                digest, stats = item.described
            name = mask_file_name(self.image_path.name, rec.id, digest)
            if not (folder / name).is_file():
                if item.mask is None:
                    raise SidecarError(f"{jp}: mask file {name} vanished during the save; save again")
                write_mask_png(folder / name, item.mask)
            entries[rec.id] = {"file": name, "digest": digest, **stats}
            meta.objects.append(rec)
        text = json.dumps(document_to_json(meta, entries), indent=1, allow_nan=False)
        atomic_write_text(jp, text + "\n")
        known_clean.remember(jp)

        # Only after the JSON is in place: drop mask files of this image's objects that
        # no longer appear in it (older versions, deleted objects) unless a backup
        # still names them.
        names = [e.name for e in os.scandir(folder)]  # one listing for all three jobs
        pattern = _mask_file_pattern(self.image_path.name)
        keep = {e["file"] for e in entries.values()}
        kept = files_kept_by_backups(
            folder, jp.name, _mask_file_name_pattern(self.image_path.name), names
        )
        ours = old_ids | {_file_id(i.record.id) for i in self.items}
        for name in names:
            m = pattern.match(name)
            if not m or m.group(1) not in ours or name in keep:
                continue
            try:
                if kept.keeps(name, m.group(1), (folder / name).stat().st_mtime, _file_id):
                    continue
                (folder / name).unlink()
            except OSError:
                pass  # a leftover file costs disk only; never fail a save for it
        if any(n.endswith(".tmp") for n in names):
            remove_stale_temps(folder)  # left by a killed earlier save
        return jp


def prepare_save(doc: Document, replace_mismatched: bool = False) -> PendingSave:
    """Capture what to save, cheaply (call it on the thread that edits ``doc``).

    Masks whose file is already on disk (known by their ``mask_token``) are not copied;
    the others are copied (~10 ms per 8K mask), so editing may go on while another
    thread runs :meth:`PendingSave.write`.
    """
    folder = sidecar_dir(doc.image_path)
    items = []
    for o in doc.objects:
        described = _digests.get(o.mask_token)
        on_disk = described is not None and (
            folder / mask_file_name(doc.image_path.name, o.id, described[0])
        ).is_file()
        record = dataclasses.replace(
            o,
            mask=np.zeros((0, 0), dtype=bool),
            provenance=copy.deepcopy(o.provenance),
            stage_output=None,
            edits=o.edits.copy(),  # rect-sized: cheap, and the writer thread owns the copy
        )
        items.append(
            _Item(record, o.mask_token, None if on_disk else o.mask.copy(), described)
        )
    return PendingSave(
        doc.image_path, doc.width, doc.height, doc.image_key, doc.revision, items,
        replace_mismatched,
    )


def save_sidecar(doc: Document, replace_mismatched: bool = False) -> Path:
    """Write ``doc`` to its sidecar; returns the JSON path and marks ``doc`` saved.

    Raises :class:`SidecarMismatch` when the existing sidecar belongs to other pixels,
    unless ``replace_mismatched``: then that JSON is renamed to
    ``<name>.mismatched-<time>.json`` (its masks are kept) and a new one is written. An
    unreadable existing JSON is renamed to ``<name>.damaged-<time>.json`` likewise.
    To save from a background thread: ``pending = prepare_save(doc)`` on the UI thread,
    ``pending.write()`` in the worker, then ``doc.mark_saved(pending.revision)``.
    """
    pending = prepare_save(doc, replace_mismatched)
    path = pending.write()
    doc.mark_saved(pending.revision)
    return path


def _png_size(path: Path) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG header without decoding; None when not a PNG."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(24)
    except OSError:
        return None
    if not head.startswith(b"\x89PNG\r\n\x1a\n") or head[12:16] != b"IHDR":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _load_mask(folder: Path, shape: tuple[int, int]):
    def load(entry: dict[str, Any]) -> np.ndarray:
        name = entry.get("file")
        if not isinstance(name, str) or not name:
            raise SidecarError("mask entry without a file name")
        path = folder / Path(name).name  # never outside the sidecar folder
        if not path.is_file():
            raise SidecarError(f"mask file {path.name} is missing")
        size = _png_size(path)
        if size is None:
            raise SidecarError(f"mask file {path.name} is not a PNG")
        if size != (shape[1], shape[0]):
            raise SidecarError(
                f"mask file {path.name} is {size[0]}x{size[1]}, expected {shape[1]}x{shape[0]}"
            )
        try:
            mask = read_mask_png(path)
        except ValueError:
            raise SidecarError(f"mask file {path.name} cannot be read") from None
        digest = entry.get("digest")
        if digest is not None and mask_digest(mask) != digest:
            raise SidecarError(f"mask file {path.name} is damaged (digest differs)")
        return mask

    return load


@dataclass
class SidecarLoad:
    """What :func:`read_sidecar` found: the document (intact objects) and one line per
    problem (damaged objects by name, unreadable fields, an unreadable file)."""

    doc: Document
    problems: list[str] = field(default_factory=list)

    @property
    def damaged(self) -> bool:
        return bool(self.problems)

    def summary(self) -> str:
        """One line for the user."""
        if not self.problems:
            return f"{self.doc.image_path.name}: annotation loaded"
        shown = "; ".join(p.split(": ", 1)[-1] for p in self.problems[:3])
        more = f"; and {len(self.problems) - 3} more" if len(self.problems) > 3 else ""
        return (
            f"{self.doc.image_path.name}: saved annotation is damaged, {len(self.doc)} object(s) "
            f"loaded ({shown}{more}); the original is kept as a backup when you next save"
        )


def read_sidecar(
    image_path: str | os.PathLike[str],
    image_key: str | None = None,
    size: tuple[int, int] | None = None,
) -> SidecarLoad | None:
    """The saved annotation of ``image_path`` as far as it is intact; None without one.

    Never raises for damage: an unreadable JSON gives an empty document, damaged objects
    are left out, and every problem is listed. Raises :class:`SidecarMismatch` when the
    sidecar belongs to other pixels, :class:`SidecarError` when ``size`` is omitted and
    the image's header cannot be read. Files are never modified.
    """
    path = Path(image_path)
    jp = sidecar_path(path)
    if size is None:
        from dis_annotator.io.load import image_size

        try:
            size = image_size(path)
        except ValueError as exc:
            raise SidecarError(f"{path}: cannot read the image size ({exc})") from None
    width, height = int(size[0]), int(size[1])
    try:
        got = _read_json(jp)
    except SidecarError as exc:
        known_clean.forget(jp)
        return SidecarLoad(Document(path, width, height, image_key), [str(exc)])
    if got is None:
        return None
    data, st = got
    why = _mismatch(data, width, height, image_key)
    if why is not None:
        raise SidecarMismatch(f"{jp}: refused, {why}; the sidecar was left untouched")
    parsed = parse_document(data, path, _load_mask(jp.parent, (height, width)), str(jp), (width, height))
    doc = parsed.doc
    for obj in doc.objects:
        # the loader verified the digest: the next save need not hash these masks again
        entry = parsed.mask_entries.get(obj.id)
        if entry and isinstance(entry.get("digest"), str):
            _digests.put(obj.mask_token, (entry["digest"], mask_stats(obj.mask)))
    if image_key and not doc.image_key:
        doc.image_key = image_key
    doc.mark_saved()
    if parsed.problems:
        known_clean.forget(jp)  # the next save must back it up, whoever wrote it last
    else:
        known_clean.remember(jp, st)
    return SidecarLoad(doc, parsed.problems)


def load_sidecar(
    image_path: str | os.PathLike[str],
    image_key: str | None = None,
    size: tuple[int, int] | None = None,
) -> Document | None:
    """The saved annotation of ``image_path``, or None when it has no sidecar.

    Strict: raises :class:`SidecarError` (the first problem) when anything is damaged —
    use :func:`read_sidecar` to get the intact objects anyway. ``size`` = ``(width,
    height)`` of the image (read from the file header when omitted); ``image_key`` = its
    content key (``ImageData.key``) when known. Raises :class:`SidecarMismatch` when the
    sidecar belongs to other pixels; the files are never modified.
    """
    load = read_sidecar(image_path, image_key, size)
    if load is None:
        return None
    if load.problems:
        more = len(load.problems) - 1
        raise SidecarError(load.problems[0] + (f" (and {more} more problems)" if more else ""))
    return load.doc


def sidecar_status(image_path: str | os.PathLike[str]) -> str:
    """``"none"`` (no sidecar), ``"empty"`` (objects without pixels or none),
    ``"masks"`` (at least one non-empty mask) or ``"error"`` — from the JSON only.
    Never raises: the file list calls it for every image."""
    try:
        data = read_sidecar_json(image_path)
    except SidecarError:
        return "error"
    if data is None:
        return "none"
    objects = data.get("objects")
    if not isinstance(objects, list):
        return "error"
    for o in objects:
        entry = o.get("mask") if isinstance(o, dict) else None
        area = entry.get("area") if isinstance(entry, dict) else None
        if isinstance(area, (int, float)) and not isinstance(area, bool) and area > 0:
            return "masks"
    return "empty"
