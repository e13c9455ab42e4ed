"""Mixed pixels on a mask's edge: mostly-object ones join it, mostly-background ones do not."""

from __future__ import annotations

import numpy as np

from dis_annotator.engine.classical.mixed_pixels import mixed_pixels


def _edge_scene(alpha: float) -> tuple[np.ndarray, np.ndarray, int]:
    """A dark object (x < 40) on a light background, with one column of pixels mixed at
    ``alpha`` between them at x = 40; the mask is the pure object."""
    h, w = 60, 80
    obj, bg = np.array([40, 60, 30], float), np.array([210, 200, 220], float)
    img = np.tile(bg, (h, w, 1))
    img[:, :40] = obj
    img[:, 40] = alpha * obj + (1 - alpha) * bg
    mask = np.zeros((h, w), bool)
    mask[:, :40] = True
    return img.astype(np.uint8), mask, 40


def test_a_mostly_object_edge_column_joins_and_a_mostly_background_one_does_not():
    img, mask, col = _edge_scene(0.7)
    added = mixed_pixels(img, mask, 0.4)
    assert added[5:-5, col].all()
    assert not added[:, col + 1 :].any() and not added[:, :col].any()

    img, mask, col = _edge_scene(0.2)
    assert not mixed_pixels(img, mask, 0.4).any()


def test_flat_colour_says_nothing():
    img = np.full((40, 40, 3), 128, np.uint8)
    mask = np.zeros((40, 40), bool)
    mask[10:30, 10:30] = True
    assert not mixed_pixels(img, mask, 0.4).any()


def test_the_refiner_adds_them_inside_the_box_and_off_background_clicks():
    from dis_annotator.engine.classical import ClassicalRefiner
    from dis_annotator.engine.types import Box, ImageData, MaskOutput, Point, Prompt

    img, mask, col = _edge_scene(0.7)
    click = Point(float(col), 30.0, False)
    prompt = Prompt(box=Box(0, 0, 80, 50), points=(click,))
    out = ClassicalRefiner().refine(ImageData(img), MaskOutput(mask.copy()), prompt)
    plain = ClassicalRefiner(mixed_alpha=1.0).refine(ImageData(img), MaskOutput(mask.copy()), prompt)
    assert not plain.mask[:, col].any()
    assert out.mask[5:24, col].all() and out.mask[37:48, col].all()
    assert not out.mask[28:33, col].any()  # the background click's seed
    assert not out.mask[50:, col].any()  # below the box
