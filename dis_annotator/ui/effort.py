"""Effort figures for the panels: an object's estimated corrections left (saved in its
provenance by the engine, docs/adr/0150) and an image's total, read from its sidecar
JSON without decoding any mask, so the file list can sort images it has not opened."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def object_effort(provenance: dict[str, Any]) -> float | None:
    """``provenance["uncertainty"]["effort"]`` when the last model run estimated one."""
    u = provenance.get("uncertainty") if isinstance(provenance, dict) else None
    value = u.get("effort") if isinstance(u, dict) else None
    return float(value) if isinstance(value, (int, float)) and value == value else None


def document_effort(objects: Any) -> float | None:
    """Sum over objects with an estimate; None when none has one."""
    values = [e for e in (object_effort(o.provenance) for o in objects) if e is not None]
    return float(sum(values)) if values else None


def sidecar_effort(image: Path) -> float | None:
    """The total effort recorded in ``image``'s sidecar JSON, or None (none, unreadable)."""
    from dis_annotator.annotation.sidecar import sidecar_path

    try:
        data = json.loads(Path(sidecar_path(image)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    objects = data.get("objects") if isinstance(data, dict) else None
    if not isinstance(objects, list):
        return None
    values = [object_effort(o.get("provenance") or {}) for o in objects if isinstance(o, dict)]
    values = [v for v in values if v is not None]
    return float(sum(values)) if values else None
