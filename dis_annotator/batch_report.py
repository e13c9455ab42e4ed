"""What ``segment --report FILE.csv`` and ``--uncertainty`` add to a batch run: one CSV row
per image and object (area, estimated effort, uncertain share of the box, stages used)
and an 8-bit ``<stem>_uncertainty.png`` per image (the objects' maximum; 255 = most
likely wrong). Kept apart from ``batch.py``: these are review aids, not the masks."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any

import numpy as np

REPORT_FIELDS = ("image", "object", "box", "area_px", "effort", "uncertain_share",
                 "suggested_x", "suggested_y", "stages", "ms", "error")


def uncertainty_path(out_dir: Path, rel_image: PurePath) -> Path:
    return out_dir / rel_image.parent / f"{rel_image.stem}_uncertainty.png"


def object_rows(rel: str, boxes: list[Any], results: list[Any]) -> list[dict[str, Any]]:
    """One row per pipeline result of an image (in box order; ``boxes``: their x0 y0 x1 y1)."""
    rows = []
    for k, (box, r) in enumerate(zip(boxes, results, strict=True), start=1):
        u = r.uncertainty
        rows.append({
            "image": rel,
            "object": k,
            "box": "" if box is None else " ".join(f"{v:g}" for v in box),
            "area_px": int(np.count_nonzero(r.mask)),
            "effort": "" if u is None else round(u.effort, 2),
            "uncertain_share": "" if u is None else round(u.band_share, 4),
            "suggested_x": "" if u is None or u.suggested_click is None else round(u.suggested_click[0], 1),
            "suggested_y": "" if u is None or u.suggested_click is None else round(u.suggested_click[1], 1),
            "stages": ";".join(f"{s.stage}={s.name}" for s in r.reports),
            "ms": round(sum(s.ms for s in r.reports) + (u.ms if u is not None else 0.0), 1),
            "error": r.failure or "",
        })
    return rows


def failed_row(rel: str, reason: str) -> dict[str, Any]:
    return {"image": rel, "error": reason}


def write_uncertainty_png(path: Path, results: list[Any], shape: tuple[int, int]) -> None:
    """The maximum of the objects' uncertainties, 0..255, at the image's full size."""
    from dis_annotator.io import atomic_write_bytes
    from dis_annotator.io.masks import encode_png

    out = np.zeros(shape, np.float32)
    for r in results:
        if r.uncertainty is not None:
            np.maximum(out, r.uncertainty.full(), out=out)
    atomic_write_bytes(path, encode_png(np.round(out * 255.0).astype(np.uint8)))


def write_report(path: Path, rows: list[dict[str, Any]]) -> None:
    from dis_annotator.metrics.report import write_csv

    write_csv(path, rows, REPORT_FIELDS)
