"""Is the uncertainty right? The measures of ``dis-annotator eval --suggest``.

For each object, after the box: the share of its wrong pixels that lie in the band
(uncertainty ≥ 0.5), the band's share of the box, the estimated effort beside 1 − IoU,
and two 5-click runs from the same box result — a simulated user who clicks at the
suggested point (label from the truth) and the standard protocol's oracle (the interior
of the largest error region). Engine-free like ``noc.py``: what is measured is a callable
(docs/adr/0151).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dis_annotator.metrics.noc import Click, benchmark_box, iou, next_click, split_target

BAND = 0.5
# segment(box, clicks so far, state) -> (mask, state); analyse(state) -> (uncertainty
# H×W float32, suggested (x, y) or None, effort[, expected 1 − IoU])
Segmenter = Callable[[Any, Sequence[Click], Any], tuple[np.ndarray, Any]]
Analyse = Callable[[Any], tuple[Any, ...]]


@dataclass
class SuggestRecord:
    """One object's numbers (NaN where they do not apply)."""

    name: str
    box_iou: float = math.nan
    wrong_px: int = 0
    wrong_in_band_px: int = 0
    band_share: float = math.nan
    effort: float = math.nan
    expected_loss: float = math.nan  # the estimator's expected 1 − IoU, when it gives one
    suggest_iou: list[float] = field(default_factory=list)  # after 1..k suggested clicks
    oracle_iou: list[float] = field(default_factory=list)  # after 1..k oracle clicks
    error: str | None = None


def _box_mask(shape: tuple[int, int], box: tuple[int, int, int, int]) -> np.ndarray:
    m = np.zeros(shape, bool)
    x0, y0, x1, y1 = box
    m[y0:y1, x0:x1] = True
    return m


def run_suggest(segment: Segmenter, analyse: Analyse, mask: np.ndarray, clicks: int = 5,
                name: str = "") -> SuggestRecord:
    """Both click runs on one object of ``mask`` (H×W uint8, 0/128/255)."""
    fg, valid = split_target(mask)
    rec = SuggestRecord(name)
    if not fg.any():
        rec.error = "empty object mask"
        return rec
    box = benchmark_box(fg)
    pred, state0 = segment(box, (), None)
    rec.box_iou = iou(pred, fg, valid)
    u, suggestion, effort, *rest = analyse(state0)
    if rest:
        rec.expected_loss = float(rest[0])
    band = u >= BAND
    wrong = (pred ^ fg) & valid
    rec.wrong_px = int(wrong.sum())
    rec.wrong_in_band_px = int((wrong & band).sum())
    inside = _box_mask(fg.shape, box)
    rec.band_share = float(band[inside].mean())
    rec.effort = float(effort)

    # The simulated user clicks where the tool suggests, with the label the truth gives.
    state, clicked, current = state0, [], pred
    for _ in range(clicks):
        if suggestion is None:
            rec.suggest_iou.append(rec.suggest_iou[-1] if rec.suggest_iou else rec.box_iou)
            continue
        x, y = suggestion
        c, r = min(int(x), fg.shape[1] - 1), min(int(y), fg.shape[0] - 1)
        clicked.append(Click(c, r, bool(fg[r, c])))
        current, state = segment(box, tuple(clicked), state)
        rec.suggest_iou.append(iou(current, fg, valid))
        suggestion = analyse(state)[1]

    state, clicked, current = state0, [], pred
    for _ in range(clicks):
        click = next_click(current, fg, valid)
        if click is None:
            rec.oracle_iou.append(rec.oracle_iou[-1] if rec.oracle_iou else rec.box_iou)
            continue
        clicked.append(click)
        current, state = segment(box, tuple(clicked), state)
        rec.oracle_iou.append(iou(current, fg, valid))
    return rec


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN for < 3 pairs."""
    x = np.asarray(a, np.float64)
    y = np.asarray(b, np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 3:
        return math.nan
    rx, ry = _ranks(x), _ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def _ranks(v: np.ndarray) -> np.ndarray:
    order = np.argsort(v, kind="mergesort")
    ranks = np.empty(v.size, np.float64)
    ranks[order] = np.arange(v.size, dtype=np.float64)
    for value in np.unique(v):
        tie = v == value
        if tie.sum() > 1:
            ranks[tie] = ranks[tie].mean()
    return ranks


def summarise(records: Sequence[SuggestRecord], clicks: int = 5) -> dict[str, float]:
    """The issue's four numbers (plus what they are made of) over ``records``."""
    ok = [r for r in records if r.error is None]
    if not ok:
        return {"n": 0}
    wrong = sum(r.wrong_px for r in ok)
    box = float(np.mean([r.box_iou for r in ok]))
    sug = float(np.mean([r.suggest_iou[clicks - 1] for r in ok])) if clicks else box
    ora = float(np.mean([r.oracle_iou[clicks - 1] for r in ok])) if clicks else box
    gain = (sug - box) / (ora - box) if ora - box > 1e-9 else math.nan
    return {
        "n": len(ok),
        "wrong_in_band": sum(r.wrong_in_band_px for r in ok) / wrong if wrong else math.nan,
        "wrong_in_band_obj": float(np.mean([r.wrong_in_band_px / r.wrong_px for r in ok if r.wrong_px])),
        "band_share": float(np.mean([r.band_share for r in ok])),
        "spearman": spearman([r.effort for r in ok], [1 - r.box_iou for r in ok]),
        "spearman_loss": spearman([r.expected_loss for r in ok], [1 - r.box_iou for r in ok]),
        "box_miou": box,
        f"suggest_miou@{clicks}": sug,
        f"oracle_miou@{clicks}": ora,
        "gain_kept": gain,
        "mean_effort": float(np.mean([r.effort for r in ok])),
    }
