"""Per-image scores and the dataset-level aggregation the DIS papers report.

Aggregation (as the SOD toolboxes and the DIS papers): F and E curves are averaged over
images first; maxF is the max of the mean F curve and meanE the mean of the mean E curve.
wF, MAE, S and HCE are plain means over images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dis_annotator.metrics import emeasure, fmeasure, smeasure, wfmeasure
from dis_annotator.metrics.hce import hce as hce_of
from dis_annotator.metrics.prepare import check_pair, prepare, to_levels

# The papers' column order.
COLUMNS = ("maxF", "wF", "MAE", "S", "meanE", "HCE")


@dataclass
class ImageScores:
    """Everything measured on one image; the curves are (256,) over ascending thresholds."""

    name: str
    f_curve: np.ndarray
    e_curve: np.ndarray
    wf: float
    s: float
    mae: float
    hce: int

    def row(self) -> dict[str, Any]:
        """The image's own numbers in the papers' columns (maxF / meanE of its own curves)."""
        return {
            "name": self.name,
            "maxF": float(self.f_curve.max()),
            "wF": self.wf,
            "MAE": self.mae,
            "S": self.s,
            "meanE": float(self.e_curve.mean()),
            "HCE": self.hce,
        }


def score_image(
    pred: np.ndarray,
    gt: np.ndarray,
    name: str = "",
    skeleton: np.ndarray | None = None,
    relax: int = 5,
    epsilon: float = 2.0,
) -> ImageScores:
    """All six measures for an H×W uint8 ``pred`` and H×W uint8 ``gt`` (prepared once)."""
    pred, gt = check_pair(pred, gt)
    p, g = prepare(pred, gt)
    levels = to_levels(p)
    return ImageScores(
        name=name,
        f_curve=fmeasure._curve(levels, g, fmeasure.BETA2),
        e_curve=emeasure._curve(levels, g),
        wf=wfmeasure._wfm(p, g, 1.0) if g.any() else 0.0,
        s=smeasure._sm(p, g, smeasure.ALPHA),
        mae=float(np.mean(np.abs(p - g))),
        hce=hce_of(pred, gt, skeleton=skeleton, relax=relax, epsilon=epsilon),
    )


class DISEvaluator:
    """Accumulates images; ``results()`` gives the dataset numbers, ``rows`` the per-image ones."""

    def __init__(self, relax: int = 5, epsilon: float = 2.0) -> None:
        self.relax = relax
        self.epsilon = epsilon
        self.scores: list[ImageScores] = []

    def add(
        self,
        pred: np.ndarray,
        gt: np.ndarray,
        name: str | None = None,
        skeleton: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """Score one image (uint8 H×W pred and gt) and return its row."""
        name = name if name is not None else f"#{len(self.scores)}"
        scores = score_image(pred, gt, name, skeleton, self.relax, self.epsilon)
        self.scores.append(scores)
        return scores.row()

    def add_scores(self, scores: ImageScores) -> None:
        """Add an image scored elsewhere (e.g. in a worker process)."""
        self.scores.append(scores)

    def extend(self, other: DISEvaluator) -> None:
        self.scores.extend(other.scores)

    def __len__(self) -> int:
        return len(self.scores)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [s.row() for s in self.scores]

    def f_curve(self) -> np.ndarray:
        """(256,) image-averaged F curve (ascending thresholds)."""
        return np.mean([s.f_curve for s in self.scores], axis=0)

    def e_curve(self) -> np.ndarray:
        """(256,) image-averaged E curve (ascending thresholds)."""
        return np.mean([s.e_curve for s in self.scores], axis=0)

    def results(self) -> dict[str, float]:
        """``maxF, wF, MAE, S, meanE, HCE`` (NaN when empty) and ``n`` images."""
        if not self.scores:
            return {**{k: float("nan") for k in COLUMNS}, "n": 0}
        return {
            "maxF": float(self.f_curve().max()),
            "wF": float(np.mean([s.wf for s in self.scores])),
            "MAE": float(np.mean([s.mae for s in self.scores])),
            "S": float(np.mean([s.s for s in self.scores])),
            "meanE": float(self.e_curve().mean()),
            "HCE": float(np.mean([s.hce for s in self.scores])),
            "n": len(self.scores),
        }
