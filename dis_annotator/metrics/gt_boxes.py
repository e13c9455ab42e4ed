"""Box prompts taken from a GT mask, for evaluating the pipeline as the papers do."""

from __future__ import annotations

import cv2
import numpy as np

BoxTuple = tuple[int, int, int, int]


def gt_boxes(gt: np.ndarray, mode: str = "object", min_area: int = 0) -> list[BoxTuple]:
    """``(x0, y0, x1, y1)`` boxes (x1/y1 exclusive) around the H×W bool ``gt``.

    ``mode="object"``: one box around the whole object. ``mode="component"``: one box
    per 8-connected component of at least ``min_area`` pixels, largest first. Empty
    GT → no boxes.
    """
    if mode not in ("object", "component"):
        raise ValueError(f"unknown box mode {mode!r} (object or component)")
    if not gt.any():
        return []
    if mode == "object":
        rows = np.flatnonzero(gt.any(axis=1))
        cols = np.flatnonzero(gt.any(axis=0))
        return [(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)]
    n, _, stats, _ = cv2.connectedComponentsWithStats(gt.astype(np.uint8), connectivity=8)
    order = sorted(range(1, n), key=lambda i: -int(stats[i, cv2.CC_STAT_AREA]))
    boxes = []
    for i in order:
        if stats[i, cv2.CC_STAT_AREA] < min_area:
            continue
        x, y = int(stats[i, cv2.CC_STAT_LEFT]), int(stats[i, cv2.CC_STAT_TOP])
        w, h = int(stats[i, cv2.CC_STAT_WIDTH]), int(stats[i, cv2.CC_STAT_HEIGHT])
        boxes.append((x, y, x + w, y + h))
    return boxes
