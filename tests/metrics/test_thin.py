from __future__ import annotations

import math

import cv2
import numpy as np

from dis_annotator.metrics.thin import thin_parts, thin_recall


def _disc_with_wire() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    disc = np.zeros((120, 200), np.uint8)
    cv2.circle(disc, (60, 60), 40, 1, -1)
    wire = np.zeros_like(disc)
    cv2.line(wire, (100, 60), (190, 20), 1, 2)
    return disc.astype(bool), wire.astype(bool) & ~disc.astype(bool), (disc | wire).astype(bool)


def test_a_wire_is_thin_and_a_disc_with_its_rim_is_not():
    disc, wire, fg = _disc_with_wire()
    thin = thin_parts(fg)
    far_wire = wire.copy()
    far_wire[:, :110] = False  # where the wire leaves the disc it is within reach of its core
    assert thin[far_wire].all()
    assert not thin[disc].any()


def test_recall_counts_the_thin_pixels_a_mask_keeps():
    disc, wire, fg = _disc_with_wire()
    thin = thin_parts(fg)
    assert thin_recall(disc, thin) == 0.0
    assert thin_recall(fg, thin) == 1.0
    half = fg.copy()
    half[:, 150:] = False
    assert 0.3 < thin_recall(half, thin) < 0.7
    assert math.isnan(thin_recall(fg, np.zeros_like(fg)))
