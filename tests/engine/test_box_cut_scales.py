"""Coarse-to-fine box cut: GrabCut iterates at a coarse scale, the boundary band (or the
whole box) is re-cut at the output scale with the colour models frozen (ADR 0103)."""

from __future__ import annotations

import cv2
import numpy as np

from dis_annotator.engine.classical.band_cut import band_labels
from dis_annotator.engine.classical.box_cut import BoxCut
from dis_annotator.engine.types import Box, ImageData, Prompt
from tests.synthetic import iou, two_tone_blob


def _full(roi, fg, shape):
    m = np.zeros(shape, bool)
    roi.crop(m)[:] = roi.from_work(fg.astype(np.float32)) > 0.5
    return m


def test_band_labels_fix_everything_away_from_the_coarse_boundary():
    coarse = np.zeros((50, 50), bool)
    coarse[10:40, 10:40] = True
    inside = np.ones((200, 200), bool)
    labels = band_labels(coarse, (200, 200), inside, ratio=4.0)
    assert labels[100, 100] == cv2.GC_FGD  # deep inside
    assert labels[5, 5] == cv2.GC_BGD  # far outside
    assert labels[100, 42] == cv2.GC_PR_FGD  # just inside the edge at x = 40
    assert labels[100, 37] == cv2.GC_PR_BGD  # just outside it
    pr = (labels == cv2.GC_PR_FGD) | (labels == cv2.GC_PR_BGD)
    assert 0.05 < pr.mean() < 0.25  # a band, not the whole box
    inside[:, 150:] = False
    assert (band_labels(coarse, (200, 200), inside, 4.0)[:, 150:] == cv2.GC_BGD).all()


def test_boundary_comes_back_at_the_output_scale():
    img, truth, xyxy = two_tone_blob()
    box = Box(*xyxy)
    image, prompt = ImageData(img), Prompt(box=box)
    cut = BoxCut(coarse_pixels=20_000, max_work_pixels=250_000)
    coarse_roi = cut.roi(image, box)
    coarse = cut._cut(image, prompt, coarse_roi)
    assert coarse is not None
    roi, fg, how = cut(image, prompt)
    assert roi.scale > 2 * coarse_roi.scale  # the result is at the output scale
    fine_iou = iou(_full(roi, fg, truth.shape), truth)
    coarse_iou = iou(_full(coarse_roi, coarse[0], truth.shape), truth)
    assert fine_iou > 0.93
    assert fine_iou > coarse_iou + 0.003  # the re-cut moved the edge, not just resampled it
