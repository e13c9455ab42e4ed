"""The window the uncertainty is computed in: the box (or the mask) plus a margin, at a
capped working resolution, so its cost follows the object's size and not the photo's."""

from __future__ import annotations

import cv2
import numpy as np

from dis_annotator.engine.classical.roi import Roi, make_roi, prompt_region
from dis_annotator.engine.types import Box, ImageData, Prompt

MARGIN = 0.1  # of the region's size on each side: errors just outside the box still show


def uncertainty_window(image: ImageData, mask: np.ndarray, prompt: Prompt, max_pixels: int) -> Roi:
    """The prompt's region joined with the mask's extent, grown by ``MARGIN``, at a scale
    that keeps it under ``max_pixels`` working pixels."""
    region = prompt_region(prompt, image.width, image.height)
    extent = Box.from_mask(mask)
    if extent is not None and prompt.box is None:
        region = Box(min(region.x0, extent.x0), min(region.y0, extent.y0),
                     max(region.x1, extent.x1), max(region.y1, extent.y1))
    return make_roi(region, image.width, image.height, MARGIN, max_pixels)


def soft_over(roi: Roi, prob: np.ndarray | None, prob_box: Box | None, fallback: np.ndarray
              ) -> np.ndarray | None:
    """A stage's soft map (over ``prob_box``) resampled onto the working grid of ``roi``;
    ``fallback`` (working-grid float mask) where the soft map does not reach; None without one."""
    if prob is None or prob_box is None:
        return None
    h, w = roi.shape
    px0, py0, px1, py1 = (int(v) for v in prob_box.as_tuple())
    if prob.shape[:2] == (py1 - py0, px1 - px0) and px0 <= roi.x0 and py0 <= roi.y0 and px1 >= roi.x1 and py1 >= roi.y1:
        # The usual case (the stage looked at least as wide): one crop, one resize.
        crop = prob[roi.y0 - py0 : roi.y1 - py0, roi.x0 - px0 : roi.x1 - px0]
        if roi.scale >= 1.0:
            return np.ascontiguousarray(crop, dtype=np.float32)
        # 1/255 steps are finer than any decision made on the map; uint8 resizes are fast.
        q = (np.clip(crop, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        return roi.to_work(q, cv2.INTER_AREA).astype(np.float32) / 255.0
    full = np.full((h, w), np.nan, np.float32)
    ix0, iy0 = max(px0, roi.x0), max(py0, roi.y0)
    ix1, iy1 = min(px1, roi.x1), min(py1, roi.y1)
    if ix1 <= ix0 or iy1 <= iy0 or prob.shape[:2] != (py1 - py0, px1 - px0):
        return None
    full[iy0 - roi.y0 : iy1 - roi.y0, ix0 - roi.x0 : ix1 - roi.x0] = prob[
        iy0 - py0 : iy1 - py0, ix0 - px0 : ix1 - px0
    ]
    covered = np.isfinite(full)
    full[~covered] = 0.0
    work = roi.to_work(full, cv2.INTER_AREA)
    cover = roi.to_work(covered.astype(np.float32), cv2.INTER_AREA)
    # Partly covered working pixels: the soft map's share plus the mask's for the rest.
    return np.where(cover > 0.999, work, work + (1.0 - cover) * fallback).astype(np.float32)
