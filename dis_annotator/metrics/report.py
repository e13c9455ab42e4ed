"""Printing results the way the papers lay them out, per-image CSV, latency summaries."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dis_annotator.metrics.evaluator import COLUMNS

HEADERS = {"maxF": "maxF↑", "wF": "wF↑", "MAE": "MAE↓", "S": "S↑", "meanE": "meanE↑", "HCE": "HCE↓"}


def _fmt(key: str, value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return f"{value:.0f}" if key == "HCE" else f"{value:.3f}"


def format_table(rows: Sequence[tuple[str, Mapping[str, Any]]], label: str = "set") -> str:
    """Fixed-width table: one line per ``(label, results)``, columns in the papers' order."""
    head = [label, "n", *(HEADERS[k] for k in COLUMNS)]
    body = [[name, str(res.get("n", "")), *(_fmt(k, res[k]) for k in COLUMNS)] for name, res in rows]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in [head, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def csv_text(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> str:
    """CSV with a header; floats with 6 significant decimals, missing fields empty."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


def write_csv(path: str | Path, rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> None:
    from dis_annotator.io import atomic_write_text

    atomic_write_text(path, csv_text(rows, fields))


def latency_summary(samples: Mapping[str, Sequence[float]]) -> str:
    """``stage: median … ms, p95 … ms (n)`` lines for each stage's millisecond samples."""
    lines = []
    for stage, ms in samples.items():
        if not ms:
            continue
        arr = np.asarray(ms, dtype=np.float64)
        lines.append(
            f"{stage}: median {np.median(arr):.1f} ms, p95 {np.percentile(arr, 95):.1f} ms"
            f" ({arr.size} runs)"
        )
    return "\n".join(lines)
