"""A supersampled coverage canvas: the object's exact antialiased rasterisation.

Objects are drawn at ``scale``× the output resolution with cv2's antialiased
primitives, then area-averaged down. The result is the fraction of each output pixel
covered by the object (its alpha), and the ground truth is ``alpha > 0.5`` — the same
numbers that composite the object into the image, so GT and pixels never disagree.

Coordinates are output-pixel floats ``(x, y)`` = (column, row); thickness is in output
pixels. cv2 gets fixed-point coordinates (``shift`` bits) for sub-pixel placement.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

_SHIFT = 4
_ONE = 1 << _SHIFT


class Canvas:
    """H×W coverage canvas drawn at ``scale``× resolution (uint8 plane, 255 = covered)."""

    def __init__(self, size: tuple[int, int], scale: int = 2) -> None:
        self.width, self.height = int(size[0]), int(size[1])
        self.scale = int(scale)
        self.plane = np.zeros((self.height * self.scale, self.width * self.scale), np.uint8)

    # -- coordinate helpers -------------------------------------------------------------
    def _pts(self, pts: np.ndarray) -> np.ndarray:
        """(N, 2) output-pixel floats → (N, 2) int32 fixed point at the drawing scale."""
        arr = np.asarray(pts, np.float64).reshape(-1, 2)
        # pixel centres: output pixel (i + 0.5) maps to the centre of its scale×scale block
        return np.round((arr * self.scale - 0.5) * _ONE).astype(np.int32)

    def _thick(self, thickness: float) -> int:
        return max(1, int(round(thickness * self.scale)))

    # -- primitives ----------------------------------------------------------------------
    def polyline(
        self, pts: np.ndarray, thickness: float, closed: bool = False, value: int = 255
    ) -> None:
        """An antialiased polyline of constant ``thickness`` through (N, 2) points."""
        p = self._pts(pts)
        if len(p) < 2:
            return
        cv2.polylines(
            self.plane, [p], closed, int(value), self._thick(thickness), cv2.LINE_AA, _SHIFT
        )

    def lines(self, segments: Sequence[np.ndarray], thickness: float, value: int = 255) -> None:
        """Many polylines of one thickness in a single cv2 call."""
        ps = [self._pts(s) for s in segments if len(s) >= 2]
        if ps:
            cv2.polylines(
                self.plane, ps, False, int(value), self._thick(thickness), cv2.LINE_AA, _SHIFT
            )

    def tapered(self, pts: np.ndarray, t0: float, t1: float, value: int = 255) -> None:
        """A polyline whose thickness goes linearly from ``t0`` to ``t1`` (branches, legs)."""
        n = len(pts)
        if n < 2:
            return
        p = self._pts(pts)
        for i in range(n - 1):
            t = t0 + (t1 - t0) * (i + 0.5) / (n - 1)
            cv2.line(
                self.plane, tuple(p[i]), tuple(p[i + 1]), int(value), self._thick(t),
                cv2.LINE_AA, _SHIFT,
            )

    def fill_poly(self, polys: Sequence[np.ndarray], value: int = 255) -> None:
        cv2.fillPoly(self.plane, [self._pts(p) for p in polys], int(value), cv2.LINE_AA, _SHIFT)

    def ellipse(
        self,
        centre: tuple[float, float],
        axes: tuple[float, float],
        angle: float = 0.0,
        thickness: float = -1,
        value: int = 255,
    ) -> None:
        """Filled (``thickness < 0``) or outlined ellipse; ``angle`` in degrees."""
        c = self._pts(np.array([centre]))[0]
        ax = (
            max(1, int(round(axes[0] * self.scale * _ONE))),
            max(1, int(round(axes[1] * self.scale * _ONE))),
        )
        th = -1 if thickness < 0 else self._thick(thickness)
        cv2.ellipse(
            self.plane, (int(c[0]), int(c[1])), ax, float(angle), 0.0, 360.0, int(value), th,
            cv2.LINE_AA, _SHIFT,
        )

    def text(
        self,
        text: str,
        origin: tuple[float, float],
        font: int,
        font_scale: float,
        thickness: float,
        value: int = 255,
    ) -> None:
        """Hershey text; ``origin`` is the bottom-left of the first character."""
        org = (int(origin[0] * self.scale), int(origin[1] * self.scale))
        cv2.putText(
            self.plane, text, org, font, font_scale * self.scale, int(value),
            self._thick(thickness), cv2.LINE_AA,
        )

    def warp_affine(self, matrix: np.ndarray) -> None:
        """Apply a 2×3 affine map given in output-pixel coordinates to what is drawn so far."""
        m = np.asarray(matrix, np.float64).copy()
        s = float(self.scale)
        # conjugate by the output→drawing map x_s = s·x + c (see _pts), c = −0.5
        c = -0.5
        a = m[:, :2]
        m_s = np.zeros((2, 3))
        m_s[:, :2] = a
        m_s[:, 2] = s * m[:, 2] + c - a @ np.array([c, c])
        self.plane = cv2.warpAffine(
            self.plane, m_s, (self.plane.shape[1], self.plane.shape[0]), flags=cv2.INTER_LINEAR
        )

    def erase_outside(self, keep: np.ndarray) -> None:
        """Keep coverage only where the same-size uint8 plane ``keep`` is set (scaled AND)."""
        self.plane = ((self.plane.astype(np.uint16) * keep) // 255).astype(np.uint8)

    def blank_like(self) -> Canvas:
        return Canvas((self.width, self.height), self.scale)

    # -- result --------------------------------------------------------------------------
    def coverage(self) -> np.ndarray:
        """H×W float32 in [0, 1]: the fraction of each output pixel the object covers."""
        if self.scale == 1:
            small = self.plane
        else:
            small = cv2.resize(
                self.plane, (self.width, self.height), interpolation=cv2.INTER_AREA
            )
        return small.astype(np.float32) / 255.0
