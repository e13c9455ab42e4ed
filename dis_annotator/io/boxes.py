"""Box files for the batch command, detected by content.

- JSON mapping: ``{"relative/path.jpg": [[x0, y0, x1, y1], ...], ...}`` (an entry may
  also be ``{"box": [...], "label": "..."}``)
- COCO instances JSON: ``images`` + ``annotations`` with ``bbox`` = ``[x, y, w, h]``
- CSV: ``image,x0,y0,x1,y1[,label]`` (a header row is optional)
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

from dis_annotator.io.jsonsafe import JsonError, parse_json


class BoxFileError(ValueError):
    """The box file cannot be read; ``str(exc)`` is a one-line reason."""


@dataclass(frozen=True)
class BoxEntry:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    label: str = ""


BoxTable = dict[str, list[BoxEntry]]


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(v: object, where: str) -> float:
    # bool is an int in Python, but true/false in a box file is a mistake, not 1/0
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise BoxFileError(f"{where}: box values must be numbers, got {_short(v)}")
    try:
        f = float(v)
    except (ValueError, OverflowError):
        raise BoxFileError(f"{where}: box values must be numbers, got {_short(v)}") from None
    if not math.isfinite(f):
        raise BoxFileError(f"{where}: box values must be finite numbers, got {_short(v)}")
    return f


def _box(values: object, where: str) -> tuple[float, float, float, float]:
    if not isinstance(values, (list, tuple)) or len(values) != 4:
        raise BoxFileError(f"{where}: a box must be [x0, y0, x1, y1], got {_short(values)}")
    x0, y0, x1, y1 = (_number(v, where) for v in values)
    return (x0, y0, x1, y1)


def _label(value: object, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise BoxFileError(f"{where}: a label must be text, got {_short(value)}")
    return str(value)


def _from_mapping(data: dict) -> BoxTable:
    table: BoxTable = {}
    for key, boxes in data.items():
        where = _short(key)
        if not isinstance(boxes, list):
            raise BoxFileError(f"{where}: expected a list of boxes, got {_short(boxes)}")
        if boxes and not isinstance(boxes[0], (list, tuple, dict)):
            boxes = [boxes]  # a single box given flat
        entries = []
        for b in boxes:
            if isinstance(b, dict):
                entries.append(BoxEntry(_box(b.get("box"), where), _label(b.get("label"), where)))
            else:
                entries.append(BoxEntry(_box(b, where)))
        table[str(key).replace("\\", "/")] = entries
    return table


def _records(data: dict, field: str) -> list[dict]:
    items = data.get(field, [])
    if not isinstance(items, list):
        raise BoxFileError(f"COCO '{field}' must be a list, got {_short(items)}")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise BoxFileError(f"COCO {field}[{i}] must be an object, got {_short(item)}")
    return items


def _key(value: object, where: str) -> int | str:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BoxFileError(f"{where}: an id must be a number or text, got {_short(value)}")
    return value


def _from_coco(data: dict) -> BoxTable:
    names: dict[int | str, str] = {}
    for i, img in enumerate(_records(data, "images")):
        image_id = _key(img.get("id"), f"COCO images[{i}]")
        name = img.get("file_name")
        if not isinstance(name, str) or not name:
            raise BoxFileError(f"COCO images[{i}]: 'file_name' must be text, got {_short(name)}")
        names[image_id] = name.replace("\\", "/")
    cats: dict[int | str, str] = {}
    for i, c in enumerate(_records(data, "categories")):
        cid = _key(c.get("id"), f"COCO categories[{i}]")
        cats[cid] = _label(c.get("name", cid), f"COCO categories[{i}]")
    table: BoxTable = {name: [] for name in names.values()}
    for i, ann in enumerate(_records(data, "annotations")):
        where = f"COCO annotation {_short(ann.get('id', i))}"
        image_id = ann.get("image_id")
        if isinstance(image_id, bool) or not isinstance(image_id, (int, str)) or image_id not in names:
            raise BoxFileError(f"{where} refers to unknown image_id {_short(image_id)}")
        x, y, w, h = _box(ann.get("bbox"), where)
        if w < 0 or h < 0:
            raise BoxFileError(f"{where}: bbox width and height must not be negative, got {w}, {h}")
        cat = ann.get("category_id")
        label = cats.get(cat, "") if isinstance(cat, (int, str)) and not isinstance(cat, bool) else ""
        table[names[image_id]].append(BoxEntry((x, y, x + w, y + h), label))
    return table


def _from_csv(text: str) -> BoxTable:
    table: BoxTable = {}
    reader = csv.reader(io.StringIO(text))
    i = 0
    while True:
        i += 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise BoxFileError(f"CSV line {i}: {str(exc).splitlines()[0][:120]}") from None
        if not row or all(not c.strip() for c in row):
            continue
        if i == 1 and row[0].strip().lower() in ("image", "file", "path", "filename"):
            continue
        if len(row) < 5:
            raise BoxFileError(f"CSV line {i}: expected image,x0,y0,x1,y1[,label]")
        key = row[0].strip().replace("\\", "/")
        if not key or "\x00" in key:
            raise BoxFileError(f"CSV line {i}: no image name")
        label = row[5].strip() if len(row) > 5 else ""
        table.setdefault(key, []).append(BoxEntry(_box(row[1:5], f"CSV line {i}"), label))
    return table


def read_boxes(path: str | os.PathLike[str]) -> BoxTable:
    """Parse a box file of any supported format into ``{relative path: [BoxEntry]}``.

    Raises :class:`BoxFileError` (one line) for anything it cannot use: a missing or
    unreadable file, invalid or duplicate-keyed JSON, wrong types, non-finite numbers,
    negative COCO sizes, CSV fields over the csv module's limit.
    """
    p = Path(path)
    if p.is_dir():
        raise BoxFileError(f"{p}: is a folder, not a box file")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BoxFileError(f"{p}: box file not found") from None
    except UnicodeDecodeError as exc:
        raise BoxFileError(f"{p}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except (OSError, MemoryError) as exc:
        raise BoxFileError(f"{p}: cannot read box file ({_reason(exc)})") from None
    stripped = text.lstrip()
    if not stripped:
        raise BoxFileError(f"{p}: box file is empty")
    try:
        if stripped[0] in "{[":
            return _from_json(text)
        return _from_csv(text)
    except BoxFileError as exc:
        raise BoxFileError(f"{p}: {exc}") from None


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.splitlines()[0][:160]


def _from_json(text: str) -> BoxTable:
    try:
        data = parse_json(text)
    except JsonError as exc:
        raise BoxFileError(str(exc)) from None
    if isinstance(data, list):
        raise BoxFileError(
            "a JSON list at the top; expected {\"image\": [[x0, y0, x1, y1], ...]} or COCO"
        )
    if not isinstance(data, dict):
        raise BoxFileError(f"expected a JSON object, got {_short(data)}")
    if "images" in data and "annotations" in data:
        return _from_coco(data)
    return _from_mapping(data)
