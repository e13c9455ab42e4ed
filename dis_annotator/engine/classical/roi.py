"""Regions of interest: classical stages work on the box (plus margin), never the whole
image, and at a capped working resolution, so a 12 MP photo costs what its object costs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from dis_annotator.engine.types import Box, Point, Prompt


@dataclass(frozen=True)
class Roi:
    """Integer pixel window ``[y0:y1, x0:x1]`` of the full image and a working scale."""

    x0: int
    y0: int
    x1: int
    y1: int
    scale: float  # working pixels per image pixel (≤ 1)

    @property
    def box(self) -> Box:
        return Box(float(self.x0), float(self.y0), float(self.x1), float(self.y1))

    @property
    def shape(self) -> tuple[int, int]:
        return (self.y1 - self.y0, self.x1 - self.x0)

    @property
    def work_shape(self) -> tuple[int, int]:
        h, w = self.shape
        return (max(1, round(h * self.scale)), max(1, round(w * self.scale)))

    def crop(self, array: np.ndarray) -> np.ndarray:
        return array[self.y0 : self.y1, self.x0 : self.x1]

    def to_work(self, array: np.ndarray, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
        """Resize an ROI-sized array to the working resolution."""
        if self.scale >= 1.0:
            return array
        h, w = self.work_shape
        return cv2.resize(array, (w, h), interpolation=interpolation)

    def from_work(self, array: np.ndarray) -> np.ndarray:
        """Resize a working-resolution float array back to ROI size (bilinear)."""
        h, w = self.shape
        if array.shape[:2] == (h, w):
            return array
        return cv2.resize(array, (w, h), interpolation=cv2.INTER_LINEAR)

    def box_mask(self, box: Box | None) -> np.ndarray:
        """Working-resolution mask of ``box`` (all True when there is no box)."""
        h, w = self.work_shape
        inside = np.zeros((h, w), bool)
        if box is None:
            inside[:] = True
            return inside
        x0 = max(0, int(math.floor((box.x0 - self.x0) * self.scale)))
        y0 = max(0, int(math.floor((box.y0 - self.y0) * self.scale)))
        x1 = int(math.ceil((box.x1 - self.x0) * self.scale))
        y1 = int(math.ceil((box.y1 - self.y0) * self.scale))
        inside[y0:y1, x0:x1] = True
        return inside

    def point_to_work(self, p: Point) -> tuple[int, int]:
        """(col, row) of a click in working pixels."""
        return (int((p.x - self.x0) * self.scale), int((p.y - self.y0) * self.scale))


def prompt_region(prompt: Prompt, width: int, height: int) -> Box:
    """The area a prompt talks about: its box, or a generous window around its clicks."""
    if prompt.box is not None:
        return prompt.box
    xs = [p.x for p in prompt.points]
    ys = [p.y for p in prompt.points]
    reach = 0.2 * max(width, height)
    return Box(min(xs) - reach, min(ys) - reach, max(xs) + reach + 1, max(ys) + reach + 1).clipped(
        width, height
    )


def make_roi(region: Box, width: int, height: int, margin: float, max_work_pixels: int) -> Roi:
    """``region`` grown by ``margin`` (fraction of its size, at least 8 px), clipped, with a
    scale that keeps the working area under ``max_work_pixels``."""
    dx = max(8.0, region.width * margin)
    dy = max(8.0, region.height * margin)
    x0 = max(0, int(math.floor(region.x0 - dx)))
    y0 = max(0, int(math.floor(region.y0 - dy)))
    x1 = min(width, int(math.ceil(region.x1 + dx)))
    y1 = min(height, int(math.ceil(region.y1 + dy)))
    area = max(1, (x1 - x0) * (y1 - y0))
    scale = min(1.0, math.sqrt(max_work_pixels / area))
    return Roi(x0, y0, x1, y1, scale)
