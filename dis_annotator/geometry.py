"""``Rect``: the one rectangle value type of the project (alias ``Box``), numpy only.

The convention, written once: a rectangle ``(x0, y0, x1, y1)`` holds the pixels
``x0 <= x < x1`` and ``y0 <= y < y1`` — x = column, y = row, x1/y1 exclusive — in
full-resolution image pixels. Arrays are indexed ``[y, x]``, so ``array[rect.slices]`` is
the rectangle's window.

Engine prompts use it with float coordinates (a box the user drew); masks, patches,
overlay layers and SAM regions with integer ones (``bbox_of``, ``int_bounds``). It is a
``NamedTuple``: immutable, hashable, unpacks as ``x0, y0, x1, y1``, compares equal to the
plain tuple, and costs no more than one. Every room may import this module
(docs/adr/0091).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class Rect(NamedTuple):
    """Axis-aligned rectangle ``x0 <= x < x1``, ``y0 <= y < y1`` in image pixels."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        """``x1 - x0``, or 0 when the rectangle is inverted."""
        return max(0, self.x1 - self.x0)

    @property
    def height(self) -> float:
        return max(0, self.y1 - self.y0)

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def empty(self) -> bool:
        return self.width == 0 or self.height == 0

    @property
    def slices(self) -> tuple[slice, slice]:
        """``array[rect.slices]`` is the H'×W' window of an H×W array (integer bounds)."""
        x0, y0, x1, y1 = self.int_bounds()
        return (slice(y0, y1), slice(x0, x1))

    def as_tuple(self) -> tuple[float, float, float, float]:
        """A plain tuple (e.g. for JSON or for state that must not depend on this type)."""
        return (self.x0, self.y0, self.x1, self.y1)

    def int_bounds(self) -> tuple[int, int, int, int]:
        """Integer pixel bounds ``(x0, y0, x1, y1)`` covering the rectangle (x1/y1 exclusive)."""
        return (
            int(math.floor(self.x0)),
            int(math.floor(self.y0)),
            int(math.ceil(self.x1)),
            int(math.ceil(self.y1)),
        )

    def clipped(self, width: int, height: int) -> Rect:
        """Clip to an image of ``width`` x ``height``; raise ``ValueError`` if nothing is left.

        Corners may come in any order (a box dragged up and to the left).
        """
        x0, x1 = sorted((self.x0, self.x1))
        y0, y1 = sorted((self.y0, self.y1))
        if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
            raise ValueError(f"box {self.as_tuple()} has non-finite coordinates")
        cx0, cy0 = max(0.0, x0), max(0.0, y0)
        cx1, cy1 = min(float(width), x1), min(float(height), y1)
        if cx1 - cx0 < 1 or cy1 - cy0 < 1:
            raise ValueError(
                f"box {self.as_tuple()} is empty or lies outside the {width}x{height} image"
            )
        return Rect(cx0, cy0, cx1, cy1)

    def expanded(self, margin: float, width: int, height: int) -> Rect:
        """Grow by ``margin`` x the rectangle's size on every side, clipped to the image."""
        dx, dy = self.width * margin, self.height * margin
        return Rect(
            max(0.0, self.x0 - dx),
            max(0.0, self.y0 - dy),
            min(float(width), self.x1 + dx),
            min(float(height), self.y1 + dy),
        )

    def union(self, other: Rect) -> Rect:
        """The smallest rectangle holding both (an empty one adds nothing)."""
        if self.empty:
            return other
        if other.empty:
            return self
        return Rect(
            min(self.x0, other.x0), min(self.y0, other.y0),
            max(self.x1, other.x1), max(self.y1, other.y1),
        )

    def intersection(self, other: Rect) -> Rect:
        """The overlap of both; ``EMPTY`` when they do not overlap."""
        r = Rect(
            max(self.x0, other.x0), max(self.y0, other.y0),
            min(self.x1, other.x1), min(self.y1, other.y1),
        )
        return EMPTY if r.empty else r

    def intersects(self, other: Rect) -> bool:
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )

    def contains(self, other: Rect) -> bool:
        """True when ``other`` lies inside this rectangle (edges included)."""
        return (
            self.x0 <= other.x0 and self.y0 <= other.y0
            and other.x1 <= self.x1 and other.y1 <= self.y1
        )

    def contains_point(self, x: float, y: float) -> bool:
        return self.x0 <= x < self.x1 and self.y0 <= y < self.y1

    def offset(self, dx: float, dy: float) -> Rect:
        return Rect(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)

    @staticmethod
    def from_mask(mask: np.ndarray) -> Rect | None:
        """Tight box (float coordinates) around the True pixels of ``mask``, or None."""
        r = bbox_of(mask)
        return None if r is None else Rect(*(float(v) for v in r))


Box = Rect
"""The engine's name for a prompt box: the same type."""

EMPTY = Rect(0, 0, 0, 0)


def bbox_of(mask: np.ndarray) -> Rect | None:
    """Tight integer rectangle around the True pixels of an H×W array, or None when none are."""
    m = np.asarray(mask)
    rows = np.flatnonzero(m.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(m.any(axis=0))
    return Rect(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def union_of(*rects: Rect | None) -> Rect | None:
    """Union of the given rectangles, skipping None; None when there is none."""
    out: Rect | None = None
    for r in rects:
        if r is not None:
            out = r if out is None else out.union(r)
    return out
