"""The suggested next click: the most interior point of the likeliest error region.

The band (uncertainty ≥ ``BAND``) is split, as the standard click protocol splits true
errors, into probably-missed object (outside the mask) and probably-false foreground
(inside it); each 8-connected part's expected number of wrong pixels is the sum of its
uncertainty. The click goes where the protocol's simulated user would click if the
band were the error: the interior (largest distance to the part's edge) of the part
with the most expected wrong pixels.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

BAND = 0.5


class Suggestion(NamedTuple):
    """``(row, col)`` on the working grid, whether the mask probably misses the object
    there (a foreground click would fix it), and the part's expected wrong pixels."""

    row: int
    col: int
    positive: bool
    mass: float


def error_parts(uncertainty: np.ndarray, mask: np.ndarray, band: float = BAND
                ) -> list[tuple[np.ndarray, bool, float]]:
    """``[(part H×W bool, positive, expected wrong pixels)]`` for every band part,
    largest expected error first."""
    out: list[tuple[np.ndarray, bool, float]] = []
    inside = uncertainty >= band
    for positive, side in ((True, inside & ~mask), (False, inside & mask)):
        if not side.any():
            continue
        n, labels = cv2.connectedComponents(side.astype(np.uint8), connectivity=8)
        if n <= 1:
            continue
        mass = np.bincount(labels.ravel(), weights=uncertainty.ravel(), minlength=n)
        for k in np.argsort(-mass[1:])[:8] + 1:
            out.append((labels == k, positive, float(mass[k])))
    out.sort(key=lambda t: -t[2])
    return out


def interior(part: np.ndarray, weight: np.ndarray) -> tuple[int, int]:
    """(row, col) of the part's pixel farthest from its edge, ties broken by ``weight``."""
    dist = cv2.distanceTransform(np.pad(part.astype(np.uint8), 1), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    # Equal distances come back with float noise that depends on the buffer's alignment
    # (metrics/noc.py); rounding makes them equal again, so the weight breaks the tie.
    score = np.round(dist[1:-1, 1:-1], 3) * (1.0 + 1e-3 * weight)
    r, c = np.unravel_index(int(np.argmax(score)), score.shape)
    return int(r), int(c)


def suggest(uncertainty: np.ndarray, mask: np.ndarray, min_mass: float = 1.0) -> Suggestion | None:
    """The next click on the working grid, or None when no part reaches ``min_mass``
    expected wrong pixels."""
    parts = error_parts(uncertainty, mask)
    if not parts or parts[0][2] < min_mass:
        return None
    part, positive, mass = parts[0]
    r, c = interior(part, uncertainty)
    return Suggestion(r, c, positive, mass)
