"""``Rect``: integer pixel rectangles (x1/y1 exclusive) and the bounding box of a mask."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Rect(NamedTuple):
    """Pixels ``x0 <= col < x1``, ``y0 <= row < y1`` — the same convention as ``engine.types.Box``."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return max(0, self.x1 - self.x0)

    @property
    def height(self) -> int:
        return max(0, self.y1 - self.y0)

    @property
    def empty(self) -> bool:
        return self.width == 0 or self.height == 0

    @property
    def slices(self) -> tuple[slice, slice]:
        """``array[rect.slices]`` is the H'×W' window of an H×W array."""
        return (slice(self.y0, self.y1), slice(self.x0, self.x1))

    def union(self, other: Rect) -> Rect:
        if self.empty:
            return other
        if other.empty:
            return self
        return Rect(
            min(self.x0, other.x0), min(self.y0, other.y0),
            max(self.x1, other.x1), max(self.y1, other.y1),
        )

    def offset(self, dx: int, dy: int) -> Rect:
        return Rect(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)


EMPTY_RECT = Rect(0, 0, 0, 0)


def bbox_of(mask: np.ndarray) -> Rect | None:
    """Tight rectangle around the True pixels of an H×W bool array, or None when none are."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return Rect(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
