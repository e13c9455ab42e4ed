"""The click's region in texture: nearest colours, not a flood from one pixel."""

from __future__ import annotations

import numpy as np

from dis_annotator.engine.classical.corrector import _flood
from dis_annotator.engine.classical.similar_region import similar_region
from tests.synthetic import textured_background


def _soil_scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A disc of speckled "soil" (6-px cells of three browns, far apart in Lab) in green
    texture, on the allowed (left) side of a mask edge at x = 180."""
    rng = np.random.default_rng(0)
    h, w = 240, 324
    img = (np.clip(textured_background(h, w, rng), 0, 255) * np.array([0.4, 1.0, 0.4])).astype(
        np.uint8
    )
    yy, xx = np.mgrid[0:h, 0:w]
    soil = (xx - 120) ** 2 + (yy - 120) ** 2 <= 45**2
    cells = np.kron(rng.integers(0, 3, (h // 6, w // 6)), np.ones((6, 6), int))
    palette = np.array([(120, 80, 45), (70, 45, 25), (30, 22, 15)], np.uint8)
    img[soil] = palette[cells[soil]]
    allowed = xx < 180
    return img, allowed, soil


def test_speckled_region_joins_the_click_where_a_colour_flood_stops_at_one_cell():
    img, allowed, soil = _soil_scene()
    region = similar_region(img, (120, 120), allowed)
    assert (region & soil).sum() >= 0.9 * soil.sum()
    assert (region & ~soil).sum() <= 0.05 * soil.sum()  # the green around it stays out
    assert not (region & ~allowed).any()
    # why it exists: the flood from the click's pixel keeps to its own shade
    assert (_flood(img, (120, 120), allowed, 12.0) & soil).sum() <= 0.3 * soil.sum()


def test_nothing_is_judged_when_the_click_is_too_close_to_the_other_side():
    img, allowed, _ = _soil_scene()
    assert not similar_region(img, (178, 120), allowed).any()
    assert not similar_region(img, (190, 120), allowed).any()  # not even on its side


def test_a_colour_also_found_far_away_does_not_join():
    """The far surround shares the click's colour: nothing says the click's region
    differs from the rest of its side, so only its own patch is taken."""
    img, allowed, _ = _soil_scene()
    flat = img.copy()
    flat[allowed] = (90, 90, 90)
    region = similar_region(flat, (120, 120), allowed, patch_radius=4.0)
    assert region.sum() <= np.pi * 5**2
