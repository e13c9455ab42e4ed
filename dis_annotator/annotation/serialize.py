"""JSON form of a document (format version 2), shared by the sidecar and :func:`document_json`.

Masks are not inlined by this module's callers' choice: each object's ``"mask"`` entry is
either ``{"rle": <COCO RLE>}`` or a sidecar file reference ``{"file": ..., "digest": ...}``;
both carry ``area`` and ``bbox`` so listings never need to decode a mask. The mask is
the composed one (what the user sees and exports).

Version 2 adds per object ``"edits"``: null, or the manual edit layers over a rectangle,
``{"rect": [x0, y0, x1, y1], "painted": RLE, "erased": RLE, "model": RLE}`` (COCO RLE
of rect-sized windows; ``model`` = the model's value under the edited pixels), and
``provenance.manual_edits`` = ``{"painted_px": n, "erased_px": n}`` while an object has
edits (derived on save). Version 1 files load with empty layers (docs/adr/0131).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dis_annotator.annotation.document import Document
from dis_annotator.annotation.geometry import bbox_of
from dis_annotator.annotation.layers import EditLayers
from dis_annotator.engine.types import Box, Point, Prompt
from dis_annotator.io import mask_to_rle, rle_to_mask

FORMAT = "dis-annotator-sidecar"
VERSION = 2
MANUAL_EDITS = "manual_edits"  # provenance key, derived from the edit layers on save

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
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf; a save must never fail on a diagnostic value
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def edits_to_json(edits: EditLayers) -> dict[str, Any] | None:
    """The ``"edits"`` entry of an object (None without edits); inverse:
    :func:`~dis_annotator.annotation.sidecar_parse.parse_edits`."""
    if not edits:
        return None
    rect, painted, erased, model = edits.planes()
    return {
        "rect": [int(v) for v in rect],
        "painted": mask_to_rle(painted),
        "erased": mask_to_rle(erased),
        "model": mask_to_rle(model),
    }


def provenance_to_json(provenance: dict[str, Any], edits: EditLayers) -> dict[str, Any]:
    """Provenance as saved: ``manual_edits`` says whether (and how much) the user edited."""
    out = {k: v for k, v in provenance.items() if k != MANUAL_EDITS}
    if edits:
        painted, erased = edits.counts()
        out[MANUAL_EDITS] = {"painted_px": painted, "erased_px": erased}
    return _jsonable(out)


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
                "provenance": provenance_to_json(o.provenance, o.edits),
                "mask": mask_entries.get(o.id),
                "edits": edits_to_json(o.edits),
            }
            for o in doc.objects
        ],
    }


def _rle_loader(shape: tuple[int, int]) -> MaskLoader:
    def load(entry: dict[str, Any]) -> np.ndarray:
        rle = entry.get("rle")
        if not isinstance(rle, dict):
            raise SidecarError("mask entry has no 'rle'")
        # size first: a damaged size must not allocate a huge mask before the check
        if list(rle.get("size") or []) != [shape[0], shape[1]]:
            raise SidecarError(f"RLE size {rle.get('size')!r} is not the image's {list(shape)}")
        return rle_to_mask(rle)

    return load


def check_header(data: Any, where: str) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SidecarError(f"{where}: not a dis-annotator sidecar")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        shown = repr(version)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise SidecarError(f"{where}: format version {shown} is not a whole number")
    if version > VERSION:
        shown = str(version) if version < 10**12 else "(huge)"
        raise SidecarError(
            f"{where}: format version {shown} is newer than this program understands ({VERSION})"
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
    """Rebuild a document; masks come from ``load_mask(entry)`` (default: inline RLE).

    Strict: any damaged object or field raises :class:`SidecarError` (the first problem,
    one line). The sidecar loader uses the tolerant form,
    :func:`~dis_annotator.annotation.sidecar_parse.parse_document`.
    """
    from dis_annotator.annotation.sidecar_parse import image_record, parse_document

    check_header(data, where)
    if load_mask is None:
        rec = image_record(data)
        load_mask = _rle_loader((rec[1], rec[0]) if rec else (0, 0))
    try:
        parsed = parse_document(data, image_path, load_mask, where)
    except ValueError as exc:
        raise SidecarError(str(exc)) from None
    if parsed.problems:
        more = len(parsed.problems) - 1
        raise SidecarError(parsed.problems[0] + (f" (and {more} more problems)" if more else ""))
    return parsed.doc
