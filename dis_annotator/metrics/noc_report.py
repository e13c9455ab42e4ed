"""Summaries of interactive runs (NoC protocol) and the tables that print them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dis_annotator.metrics.noc import Trajectory

CHECKPOINTS = (1, 3, 5)
THRESHOLDS = (0.85, 0.90)
HARM_TOLERANCE = 0.01
FAIL_BELOW = 0.3
FAIL_REFERENCE = 0.5


@dataclass
class Summary:
    """Numbers for one (set, pipeline, start)."""

    n: int
    box_miou: float
    miou: dict[int, float]
    noc: dict[float, float]
    clicks: int
    worse: float  # share of clicks after which IoU is lower than before
    worse_tol: float  # share lowering it by more than HARM_TOLERANCE
    failures: list[str]  # objects ending below FAIL_BELOW whose reference IoU >= FAIL_REFERENCE
    box_ms: float
    click_ms: float

    def as_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"n": self.n, "box mIoU": self.box_miou}
        row.update({f"mIoU@{k}": v for k, v in self.miou.items()})
        row.update({f"NoC@{round(t * 100)}": v for t, v in self.noc.items()})
        row.update({"worse %": 100 * self.worse, "worse>.01 %": 100 * self.worse_tol,
                    "fail": len(self.failures), "box ms": self.box_ms, "click ms": self.click_ms})
        return row


def _nanmean(values: Sequence[float]) -> float:
    arr = np.asarray([v for v in values if not math.isnan(v)], dtype=np.float64)
    return float(arr.mean()) if arr.size else math.nan


def _median(values: Sequence[float]) -> float:
    return float(np.median(values)) if len(values) else math.nan


def summarise(
    trajectories: Sequence[Trajectory],
    cap: int = 20,
    reference: Mapping[str, float] | None = None,
    checkpoints: Sequence[int] = CHECKPOINTS,
    thresholds: Sequence[float] = THRESHOLDS,
) -> Summary:
    """Aggregate trajectories. ``reference``: per object name, the IoU a failure is judged
    against (the baseline's box IoU); objects missing from it use their own first IoU."""
    runs = [t for t in trajectories if t.steps]
    deltas: list[float] = []
    box_ms: list[float] = []
    click_ms: list[float] = []
    failures = []
    for t in runs:
        for prev, cur in zip(t.steps, t.steps[1:], strict=False):
            deltas.append(cur.iou - prev.iou)
        for s in t.steps:
            (click_ms if s.clicks > 0 else box_ms).append(s.ms)
        ref = (reference or {}).get(t.name, t.start_iou)
        if t.final_iou < FAIL_BELOW and ref >= FAIL_REFERENCE:
            failures.append(t.name)
    d = np.asarray(deltas, dtype=np.float64)
    return Summary(
        n=len(runs),
        box_miou=_nanmean([t.start_iou for t in runs if t.start == "box"]),
        miou={k: _nanmean([t.iou_at(k) for t in runs]) for k in checkpoints},
        noc={th: _nanmean([float(t.noc(th, cap)) for t in runs]) for th in thresholds},
        clicks=int(d.size),
        worse=float((d < 0).mean()) if d.size else math.nan,
        worse_tol=float((d < -HARM_TOLERANCE).mean()) if d.size else math.nan,
        failures=failures,
        box_ms=_median(box_ms),
        click_ms=_median(click_ms),
    )


def _fmt(key: str, value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if key.endswith("ms"):
            return f"{value:.0f}"
        if key.endswith("%") or key.startswith("NoC"):
            return f"{value:.2f}"
        return f"{value:.3f}"
    return str(value)


def format_rows(rows: Sequence[tuple[str, Mapping[str, Any]]], label: str = "pipeline") -> str:
    """Fixed-width table; the columns are the union of the rows' keys, in first-seen order."""
    keys: list[str] = []
    for _, r in rows:
        keys += [k for k in r if k not in keys]
    head = [label, *keys]
    body = [[name, *(_fmt(k, r[k]) if k in r else "" for k in keys)] for name, r in rows]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True)))
             for line in [head, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def trajectory_rows(set_name: str, pipeline: str, trajectories: Sequence[Trajectory]) -> list[dict[str, Any]]:
    """One CSV row per object and step: the click, its IoU and the call's wall time."""
    rows = []
    for t in trajectories:
        if t.error is not None:
            rows.append({"set": set_name, "pipeline": pipeline, "start": t.start, "name": t.name,
                         "error": t.error})
        for s in t.steps:
            c = s.click
            rows.append({
                "set": set_name, "pipeline": pipeline, "start": t.start, "name": t.name,
                "clicks": s.clicks, "iou": s.iou, "ms": s.ms,
                "x": "" if c is None else c.x, "y": "" if c is None else c.y,
                "positive": "" if c is None else int(c.positive),
            })
    return rows


TRAJECTORY_FIELDS = ("set", "pipeline", "start", "name", "clicks", "iou", "ms", "x", "y", "positive", "error")
