"""Rebuild a document from sidecar JSON, object by object, reporting what is damaged.

One damaged object never costs the others (docs/adr/0123): each object is parsed on its
own; an object whose id or mask cannot be used is left out and reported by name, a
field that only describes it (label, colour, visibility, prompt, provenance, edit
layers) falls back to its default and is reported. Every problem is one line; nothing here raises for bad
data — :func:`parse_document` returns the problems beside the document.

Adding a per-object field: write a parser ``(raw value) -> value`` that raises
``ValueError``/``TypeError`` for bad input, and add one :class:`Field` row to
:data:`OBJECT_FIELDS` (its default is used when the key is absent or bad). A field of
pixels gets the object's mask too (``with_mask``), to check it against the image.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dis_annotator.annotation.document import Document, ObjectRecord, new_object_id
from dis_annotator.annotation.geometry import Rect
from dis_annotator.annotation.layers import EditLayers
from dis_annotator.annotation.palette import next_color
from dis_annotator.engine.types import Box, Point, Prompt
from dis_annotator.io import rle_to_mask

MaskLoader = Callable[[dict[str, Any]], np.ndarray]
MAX_PROVENANCE_DEPTH = 32  # deeper is damage; deep copies of it would overflow the stack


def _finite(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"expected a number, got {type(v).__name__}")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"expected a finite number, got {v!r}")
    return f


def _valid_text(text: str) -> str:
    """``text`` with lone surrogates (valid in JSON, unprintable anywhere) replaced."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def parse_label(raw: Any) -> str:
    if not isinstance(raw, str):
        raise TypeError(f"expected text, got {type(raw).__name__}")
    return _valid_text(raw)


def parse_color(raw: Any) -> tuple[int, int, int]:
    if not isinstance(raw, list) or len(raw) != 3:
        raise ValueError("expected [r, g, b]")
    out = []
    for c in raw:
        if isinstance(c, bool) or not isinstance(c, int) or not 0 <= c <= 255:
            raise ValueError(f"expected three whole numbers 0-255, got {_short(raw)}")
        out.append(c)
    return (out[0], out[1], out[2])


def parse_visible(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise TypeError(f"expected true or false, got {_short(raw)}")
    return raw


def parse_prompt(raw: Any) -> Prompt:
    if raw is None:
        return Prompt()
    if not isinstance(raw, dict):
        raise TypeError(f"expected an object, got {type(raw).__name__}")
    box = raw.get("box")
    if box is not None:
        if not isinstance(box, list) or len(box) != 4:
            raise ValueError("box must be [x0, y0, x1, y1]")
        box = Box(*(_finite(v) for v in box))
    points = raw.get("points", [])
    if not isinstance(points, list):
        raise TypeError("points must be a list")
    pts = []
    for p in points:
        if not isinstance(p, list) or len(p) != 3 or not isinstance(p[2], bool):
            raise ValueError(f"a point must be [x, y, true|false], got {_short(p)}")
        pts.append(Point(_finite(p[0]), _finite(p[1]), p[2]))
    return Prompt(box=box, points=tuple(pts))


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of ``value``, iteratively (never a RecursionError), capped at limit+1;
    ``limit + 1`` also when it holds a non-finite number (the writer could not save it)."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit or (isinstance(v, float) and not math.isfinite(v)):
            return limit + 1
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return deepest


def parse_provenance(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TypeError(f"expected an object, got {type(raw).__name__}")
    if _depth(raw, MAX_PROVENANCE_DEPTH) > MAX_PROVENANCE_DEPTH:
        raise ValueError(f"nested deeper than {MAX_PROVENANCE_DEPTH} levels, or not finite")
    # the parts the app shows (objects panel, status bar) must have their shapes
    stages = raw.get("stages", [])
    if not isinstance(stages, list) or not all(isinstance(st, dict) for st in stages):
        raise ValueError("'stages' must be a list of objects")
    for st in stages:
        if not isinstance(st.get("name", ""), str):
            raise ValueError("a stage name must be text")
        _finite(st.get("ms", 0.0))
    _finite(raw.get("total_ms", 0.0))
    # "manual_edits" is derived from the edit layers on every save; they are the truth
    return {k: v for k, v in raw.items() if k != "manual_edits"}


def _plane(raw: Any, name: str, rect: Rect) -> np.ndarray:
    if not isinstance(raw, dict):
        raise TypeError(f"{name} is not an RLE object")
    size = raw.get("size")
    # size first: a damaged size must not allocate a huge window before the check
    if size != [rect.height, rect.width]:
        raise ValueError(f"{name} is {_short(size)}, expected [{rect.height}, {rect.width}]")
    counts = raw.get("counts")
    if not isinstance(counts, (str, list)):
        raise TypeError(f"{name} has no counts")
    return rle_to_mask({"size": size, "counts": counts})


def parse_edits(raw: Any, mask: np.ndarray) -> EditLayers:
    """The ``"edits"`` entry (see :mod:`~dis_annotator.annotation.serialize`), checked
    against the object's H×W ``mask``: inside the image, painted pixels set, erased clear."""
    if raw is None:
        return EditLayers()
    if not isinstance(raw, dict):
        raise TypeError(f"expected an object, got {type(raw).__name__}")
    rect = raw.get("rect")
    ok = isinstance(rect, list) and len(rect) == 4 and all(
        isinstance(v, int) and not isinstance(v, bool) for v in rect
    )
    h, w = mask.shape
    if not ok or not (0 <= rect[0] < rect[2] <= w and 0 <= rect[1] < rect[3] <= h):
        raise ValueError(f"rect {_short(rect)} is not a rectangle inside the {w}x{h} image")
    r = Rect(*rect)
    planes = [_plane(raw.get(k), k, r) for k in ("painted", "erased", "model")]
    edits = EditLayers.from_planes(r, *planes)
    if not edits.consistent_with(mask):
        raise ValueError("they do not match the mask (painted pixels unset or erased ones set)")
    return edits


@dataclass(frozen=True)
class Field:
    """One descriptive per-object field: JSON key, ``ObjectRecord`` attribute, parser,
    default (a function of the document and the object's position). ``with_mask``: the
    parser is called as ``parse(raw, mask)`` with the object's H×W mask."""

    key: str
    attr: str
    parse: Callable[..., Any]
    default: Callable[[Document, int], Any]
    with_mask: bool = False


OBJECT_FIELDS: tuple[Field, ...] = (
    Field("label", "label", parse_label, lambda doc, i: f"object {i + 1}"),
    Field("color", "color", parse_color, lambda doc, i: next_color(o.color for o in doc.objects)),
    Field("visible", "visible", parse_visible, lambda doc, i: True),
    Field("prompt", "prompt", parse_prompt, lambda doc, i: Prompt()),
    Field("provenance", "provenance", parse_provenance, lambda doc, i: {}),
    Field("edits", "edits", parse_edits, lambda doc, i: EditLayers(), with_mask=True),
)


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except RecursionError:
        text = f"<deeply nested {type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first[:160]


def object_name(raw: Any, index: int) -> str:
    """How a problem names an object: its position, label and id where readable."""
    name = f"object {index + 1}"
    if isinstance(raw, dict):
        label, oid = raw.get("label"), raw.get("id")
        if isinstance(label, str) and label:
            name += f" {label[:40]!r}"
        if isinstance(oid, (str, int)) and not isinstance(oid, bool):
            name += f" (id {str(oid)[:64]})"
    return name


@dataclass
class Parsed:
    """A rebuilt document, the problems found (one line each) and, per loaded object id,
    its raw mask entry (for callers that cache digests)."""

    doc: Document
    problems: list[str] = field(default_factory=list)
    mask_entries: dict[str, dict[str, Any]] = field(default_factory=dict)


def _object_id(raw: dict[str, Any], taken: set[str]) -> tuple[str, str | None]:
    """(id, problem): a missing, unusable or duplicate id gets a fresh one."""
    oid = raw.get("id")
    if isinstance(oid, bool) or not isinstance(oid, (str, int)) or str(oid) == "":
        return new_object_id(), "id missing or unusable; given a new id"
    oid = str(oid)
    if _valid_text(oid) != oid:
        return new_object_id(), "id is not valid text; given a new id"
    if oid in taken:
        return new_object_id(), f"duplicate id {oid[:64]!r}; given a new id"
    return oid, None


def parse_object(
    raw: Any, index: int, doc: Document, load_mask: MaskLoader, problems: list[str], where: str
) -> tuple[ObjectRecord, dict[str, Any] | None] | None:
    """One object, or None when its mask (or the entry itself) cannot be used."""
    name = object_name(raw, index)
    if not isinstance(raw, dict):
        problems.append(f"{where}: {name}: not a JSON object ({_short(raw)}); left out")
        return None
    entry = raw.get("mask")
    if entry is None:
        mask = doc.empty_mask()
    elif not isinstance(entry, dict):
        problems.append(f"{where}: {name}: mask entry unreadable ({_short(entry)}); left out")
        return None
    else:
        try:
            mask = np.asarray(load_mask(entry))
        except MemoryError:
            problems.append(f"{where}: {name}: mask too large to read; left out")
            return None
        except Exception as exc:  # noqa: BLE001 - any failure is this object's damage
            problems.append(f"{where}: {name}: {_reason(exc)}; left out")
            return None
        if mask.shape != doc.shape:
            problems.append(
                f"{where}: {name}: mask is {mask.shape[::-1]}, expected {doc.width}x{doc.height}; left out"
            )
            return None
    oid, why = _object_id(raw, set(doc.ids()))
    if why is not None:
        problems.append(f"{where}: {name}: {why}")
    values: dict[str, Any] = {}
    mask = mask.astype(bool, copy=False)
    for f in OBJECT_FIELDS:
        if f.key not in raw:
            values[f.attr] = f.default(doc, index)
            continue
        try:
            values[f.attr] = f.parse(raw[f.key], mask) if f.with_mask else f.parse(raw[f.key])
        except Exception as exc:  # noqa: BLE001 - a bad field falls back to its default
            values[f.attr] = f.default(doc, index)
            problems.append(f"{where}: {name}: {f.key} unreadable ({_reason(exc)}); default used")
    record = ObjectRecord(id=oid, mask=mask, **values)
    return record, entry


def image_record(data: dict[str, Any]) -> tuple[int, int, str | None] | None:
    """``(width, height, key)`` of the sidecar's image entry, None when unusable."""
    img = data.get("image")
    if not isinstance(img, dict):
        return None
    w, h, key = img.get("width"), img.get("height"), img.get("key")
    ok = all(isinstance(v, int) and not isinstance(v, bool) and 0 < v < 1 << 31 for v in (w, h))
    if not ok:
        return None
    return (w, h, key if isinstance(key, str) else None)


def parse_document(
    data: dict[str, Any],
    image_path: str | Path | None,
    load_mask: MaskLoader,
    where: str,
    size: tuple[int, int] | None = None,
) -> Parsed:
    """Rebuild the document in ``data`` (a dict whose header was checked).

    ``size`` = ``(width, height)`` of the real image: used when the image entry is
    damaged (masks must still match it). Raises ``ValueError`` only when neither the
    image entry nor ``size`` gives a size to build on.
    """
    problems: list[str] = []
    rec = image_record(data)
    if rec is None:
        problems.append(f"{where}: image entry unreadable ({_short(data.get('image'))})")
        if size is None:
            raise ValueError(problems[0])
        width, height, key = int(size[0]), int(size[1]), None
    else:
        width, height, key = rec
    if image_path is not None:
        path = Path(image_path)
    else:
        name = data["image"].get("file") if isinstance(data.get("image"), dict) else None
        path = Path(name if isinstance(name, str) and name else "image")
    doc = Document(path, width, height, key)
    parsed = Parsed(doc, problems)
    objects = data.get("objects", [])
    if not isinstance(objects, list):
        problems.append(f"{where}: objects unreadable (expected a list, got {type(objects).__name__})")
        return parsed
    for i, raw in enumerate(objects):
        got = parse_object(raw, i, doc, load_mask, problems, where)
        if got is None:
            continue
        record, entry = got
        doc.insert(len(doc.objects), record)
        if entry is not None:
            parsed.mask_entries[record.id] = entry
    return parsed
