"""Box files for the batch command, detected by content.

- JSON mapping: ``{"relative/path.jpg": [[x0, y0, x1, y1], ...], ...}`` (an entry may
  also be ``{"box": [...], "label": "..."}``)
- COCO instances JSON: ``images`` + ``annotations`` with ``bbox`` = ``[x, y, w, h]``
- CSV: ``image,x0,y0,x1,y1[,label]`` (a header row is optional)
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path


class BoxFileError(ValueError):
    """The box file cannot be read; ``str(exc)`` is a one-line reason."""


@dataclass(frozen=True)
class BoxEntry:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    label: str = ""


BoxTable = dict[str, list[BoxEntry]]


def _box(values: object, where: str) -> tuple[float, float, float, float]:
    if not isinstance(values, (list, tuple)) or len(values) != 4:
        raise BoxFileError(f"{where}: a box must be [x0, y0, x1, y1], got {values!r}")
    try:
        x0, y0, x1, y1 = (float(v) for v in values)
    except (TypeError, ValueError):
        raise BoxFileError(f"{where}: box values must be numbers, got {values!r}") from None
    return (x0, y0, x1, y1)


def _from_mapping(data: dict) -> BoxTable:
    table: BoxTable = {}
    for key, boxes in data.items():
        if not isinstance(boxes, list):
            raise BoxFileError(f"{key!r}: expected a list of boxes")
        if boxes and not isinstance(boxes[0], (list, tuple, dict)):
            boxes = [boxes]  # a single box given flat
        entries = []
        for b in boxes:
            if isinstance(b, dict):
                entries.append(BoxEntry(_box(b.get("box"), key), str(b.get("label", ""))))
            else:
                entries.append(BoxEntry(_box(b, key)))
        table[str(key).replace("\\", "/")] = entries
    return table


def _from_coco(data: dict) -> BoxTable:
    names = {img["id"]: str(img["file_name"]).replace("\\", "/") for img in data["images"]}
    cats = {c["id"]: str(c.get("name", c["id"])) for c in data.get("categories", [])}
    table: BoxTable = {name: [] for name in names.values()}
    for ann in data.get("annotations", []):
        if ann.get("image_id") not in names:
            raise BoxFileError(f"annotation {ann.get('id')} refers to unknown image_id {ann.get('image_id')}")
        x, y, w, h = _box(ann.get("bbox"), f"annotation {ann.get('id')}")
        label = cats.get(ann.get("category_id"), "")
        table[names[ann["image_id"]]].append(BoxEntry((x, y, x + w, y + h), label))
    return table


def _from_csv(text: str) -> BoxTable:
    table: BoxTable = {}
    rows = list(csv.reader(io.StringIO(text)))
    for i, row in enumerate(rows, start=1):
        if not row or all(not c.strip() for c in row):
            continue
        if i == 1 and row[0].strip().lower() in ("image", "file", "path", "filename"):
            continue
        if len(row) < 5:
            raise BoxFileError(f"CSV line {i}: expected image,x0,y0,x1,y1[,label]")
        key = row[0].strip().replace("\\", "/")
        label = row[5].strip() if len(row) > 5 else ""
        table.setdefault(key, []).append(BoxEntry(_box(row[1:5], f"CSV line {i}"), label))
    return table


def read_boxes(path: str | os.PathLike[str]) -> BoxTable:
    """Parse a box file of any supported format into ``{relative path: [BoxEntry]}``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BoxFileError(f"{p}: box file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BoxFileError(f"{p}: cannot read box file ({exc})") from None
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BoxFileError(f"{p}: invalid JSON ({exc})") from None
        try:
            if "images" in data and "annotations" in data:
                return _from_coco(data)
            return _from_mapping(data)
        except (KeyError, TypeError) as exc:
            raise BoxFileError(f"{p}: unexpected structure ({exc})") from None
    if not stripped:
        raise BoxFileError(f"{p}: box file is empty")
    return _from_csv(text)
