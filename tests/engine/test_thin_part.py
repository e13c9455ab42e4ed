"""What counts as a thin line apart from the mask, and the colour overlap."""

from __future__ import annotations

import numpy as np

from dis_annotator.engine.classical.thin_part import colour_overlap, is_thin_line


def test_a_long_narrow_line_far_from_the_mask_is_thin_and_a_blob_is_not():
    line = np.zeros((200, 200), bool)
    line[20:180, 98:103] = True  # 5 px wide, 160 long
    assert is_thin_line(line, 1.0, d=60.0)
    assert not is_thin_line(line, 1.0, d=10.0)  # the mask lies just beside it
    assert is_thin_line(line[::2, ::2], 0.5, d=60.0)  # the same line on a half-size grid
    blob = np.zeros((200, 200), bool)
    blob[80:100, 80:100] = True
    assert not is_thin_line(blob, 1.0, d=60.0)
    short = np.zeros((200, 200), bool)
    short[95:105, 98:103] = True
    assert not is_thin_line(short, 1.0, d=60.0)
    assert not is_thin_line(np.zeros((10, 10), bool), 1.0, d=60.0)


def test_colour_overlap_is_one_for_the_same_colours_and_zero_for_disjoint_ones():
    rgb = np.zeros((10, 20, 3), np.uint8)
    rgb[:, :10] = (200, 30, 30)
    rgb[:, 10:] = (30, 30, 200)
    left = np.zeros((10, 20), bool)
    left[:, :10] = True
    assert colour_overlap(rgb, left, left.copy()) > 0.999
    assert colour_overlap(rgb, left, ~left) == 0.0
    assert colour_overlap(rgb, left, np.zeros_like(left)) == 0.0
