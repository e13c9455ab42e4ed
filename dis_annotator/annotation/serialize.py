"""JSON form of a document (format version 1), shared by the sidecar and :func:`document_json`.

Masks are not inlined by this module's callers' choice: each object's ``"mask"`` entry is
either ``{"rle": <COCO RLE>}`` or a sidecar file reference ``{"file": ..., "digest": ...}``;
both carry ``area`` and ``bbox`` so listings never need to decode a mask.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dis_annotator.annotation.document import Document, ObjectRecord
from dis_annotator.annotation.geometry import bbox_of
from dis_annotator.engine.types import Box, Point, Prompt
from dis_annotator.io import mask_to_rle, rle_to_mask

FORMAT = "dis-annotator-sidecar"
VERSION = 1

MaskLoader = Callable[[dict[str, Any]], np.ndarray]


class SidecarError(ValueError):
    """A sidecar (or JSON document) cannot be used; ``str(exc)`` is a one-line reason."""


def mask_digest(mask: np.ndarray) -> str:
    """16 hex digits identifying the pixels and size of an H×W bool mask."""
    h = hashlib.blake2b(digest_size=8)
    h.update(np.asarray(mask.shape, dtype=np.int64).tobytes())
    h.update(np.packbits(np.ascontiguousarray(mask, dtype=bool)).tobytes())
    return h.hexdigest()


def mask_stats(mask: np.ndarray) -> dict[str, Any]:
    rect = bbox_of(mask)
    return {
        "area": int(np.count_nonzero(mask)),
        "bbox": list(rect) if rect is not None else None,
    }


def rle_entry(mask: np.ndarray) -> dict[str, Any]:
    return {"rle": mask_to_rle(mask), **mask_stats(mask)}


def prompt_to_json(prompt: Prompt) -> dict[str, Any]:
    return {
        "box": list(prompt.box.as_tuple()) if prompt.box is not None else None,
        "points": [[p.x, p.y, bool(p.positive)] for p in prompt.points],
    }


def prompt_from_json(data: dict[str, Any] | None) -> Prompt:
    if not data:
        return Prompt()
    box = data.get("box")
    return Prompt(
        box=Box(*(float(v) for v in box)) if box is not None else None,
        points=tuple(Point(float(x), float(y), bool(pos)) for x, y, pos in data.get("points", [])),
    )


def _jsonable(value: Any) -> Any:
    """Provenance may hold numpy scalars or paths; store them as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def document_to_json(doc: Document, mask_entries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The document as a JSON-able dict; ``mask_entries[obj.id]`` becomes ``obj["mask"]``."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "image": {
            "file": doc.image_path.name,
            "width": doc.width,
            "height": doc.height,
            "key": doc.image_key,
        },
        "objects": [
            {
                "id": o.id,
                "label": o.label,
                "color": [int(c) for c in o.color],
                "visible": bool(o.visible),
                "prompt": prompt_to_json(o.prompt),
                "provenance": _jsonable(o.provenance),
                "mask": mask_entries.get(o.id),
            }
            for o in doc.objects
        ],
    }


def _rle_loader(entry: dict[str, Any]) -> np.ndarray:
    if "rle" not in entry:
        raise SidecarError("mask entry has no 'rle'")
    return rle_to_mask(entry["rle"])


def check_header(data: Any, where: str) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SidecarError(f"{where}: not a dis-annotator sidecar")
    version = data.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise SidecarError(
            f"{where}: format version {version} is newer than this program understands ({VERSION})"
        )


def document_json(doc: Document, masks: str = "rle") -> dict[str, Any]:
    """A self-contained JSON-able dict; masks as COCO RLE (``masks="rle"``) or omitted
    (``masks="none"``). The sidecar uses :func:`document_to_json` with PNG mask files
    instead. Inverse: :func:`document_from_json`."""
    if masks not in ("rle", "none"):
        raise ValueError("masks must be 'rle' or 'none'")
    entries = {o.id: rle_entry(o.mask) for o in doc.objects} if masks == "rle" else {}
    return document_to_json(doc, entries)


def document_from_json(
    data: dict[str, Any],
    image_path: str | Path | None = None,
    load_mask: MaskLoader | None = None,
    where: str = "document",
) -> Document:
    """Rebuild a document; masks come from ``load_mask(entry)`` (default: inline RLE)."""
    check_header(data, where)
    load = load_mask or _rle_loader
    try:
        img = data["image"]
        path = Path(image_path) if image_path is not None else Path(img["file"])
        doc = Document(path, int(img["width"]), int(img["height"]), img.get("key"))
        for o in data["objects"]:
            entry = o.get("mask")
            mask = doc.empty_mask() if entry is None else load(entry)
            if mask.shape != doc.shape:
                raise SidecarError(
                    f"{where}: mask of object {o['id']!r} is {mask.shape[::-1]}, "
                    f"expected {doc.width}x{doc.height}"
                )
            doc.insert(
                len(doc.objects),
                ObjectRecord(
                    id=str(o["id"]),
                    label=str(o["label"]),
                    color=tuple(int(c) for c in o["color"]),  # type: ignore[arg-type]
                    mask=mask,
                    visible=bool(o.get("visible", True)),
                    prompt=prompt_from_json(o.get("prompt")),
                    provenance=dict(o.get("provenance") or {}),
                )
            )
    except SidecarError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise SidecarError(f"{where}: malformed ({type(exc).__name__}: {exc})") from None
    if len(set(doc.ids())) != len(doc.objects):
        raise SidecarError(f"{where}: duplicate object ids")
    return doc
