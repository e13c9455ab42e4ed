"""Plain OpenCV GrabCut under the click protocol: the reference the engine is measured against.

Deliberately untuned: full resolution, OpenCV's own 5-component GMMs, 5 iterations,
each run starting again from the box with every click so far painted as a 5-px-radius
hard seed. Without a box (click start) the whole image is "probably background" and the
clicks are the only foreground evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from dis_annotator.metrics.noc import BoxTuple, Click

SEED_RADIUS = 5
ITERATIONS = 5


def version(iterations: int = ITERATIONS) -> str:
    """What a cached trajectory of this baseline depends on (docs/adr/0107)."""
    return f"opencv-grabcut-{cv2.__version__}-it{iterations}-r{SEED_RADIUS}"


def plain_grabcut(
    rgb: np.ndarray, box: BoxTuple | None, clicks: Sequence[Click], iterations: int = ITERATIONS
) -> np.ndarray:
    """H×W bool mask of ``rgb`` (H×W×3 uint8) for a box and/or clicks."""
    h, w = rgb.shape[:2]
    labels = np.full((h, w), cv2.GC_BGD if box is not None else cv2.GC_PR_BGD, np.uint8)
    if box is not None:
        x0, y0, x1, y1 = box
        labels[y0:y1, x0:x1] = cv2.GC_PR_FGD
    for c in clicks:
        cv2.circle(labels, (int(c.x), int(c.y)), SEED_RADIUS, int(cv2.GC_FGD if c.positive else cv2.GC_BGD), -1)
    fg = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    if fg.any() and not fg.all():
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        cv2.setRNGSeed(0)  # GrabCut's k-means init is random
        bgd = np.zeros((1, 65), np.float64)
        fgd = np.zeros((1, 65), np.float64)
        try:
            cv2.grabCut(bgr, labels, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
        except cv2.error:
            pass  # too few samples for a GMM: keep the labels as they are
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


class PlainGrabCut:
    """A :data:`~dis_annotator.metrics.noc.Segmenter` over one image."""

    name = "opencv-grabcut"

    def __init__(self, rgb: np.ndarray, iterations: int = ITERATIONS) -> None:
        self.rgb = rgb
        self.iterations = iterations

    def __call__(self, box: BoxTuple | None, clicks: Sequence[Click], state: Any) -> tuple[np.ndarray, Any]:
        return plain_grabcut(self.rgb, box, clicks, self.iterations), None
