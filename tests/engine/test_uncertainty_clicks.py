"""What a click says about its neighbourhood (ADR 0169): pixels near it, of its colour,
on the other side of the mask are doubtful."""

from __future__ import annotations

import cv2
import numpy as np

from dis_annotator.engine.types import Box, ImageData, MaskOutput, Point, Prompt
from dis_annotator.engine.uncertainty import UncertaintyEstimator
from tests.synthetic import textured_background

BOX = Box(60.0, 60.0, 340.0, 340.0)


def shadow_scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A red disc with a large grey shadow beside it, on a bluish textured backdrop. The
    mask took in the shadow, so the shadow's grey trains the mask's colour model and
    looks certain. Returns (image, object, shadow)."""
    rng = np.random.default_rng(0)
    h = w = 400
    img = textured_background(h, w, rng)
    img[..., 2] += 60
    disc = np.zeros((h, w), np.uint8)
    cv2.circle(disc, (170, 170), 90, 1, -1)
    obj = disc.astype(bool)
    blob = np.zeros((h, w), np.uint8)
    cv2.ellipse(blob, (250, 260), (80, 60), 0, 0, 360, 1, -1)
    shadow = blob.astype(bool) & ~obj
    img[obj] = np.array([170, 70, 60], np.float32) + rng.normal(0, 8, (int(obj.sum()), 3))
    img[shadow] = np.array([90, 90, 95], np.float32) + rng.normal(0, 4, (int(shadow.sum()), 3))
    return np.clip(img, 0, 255).astype(np.uint8), obj, shadow


def test_a_background_click_on_a_false_part_puts_the_rest_of_it_in_the_band():
    img, obj, shadow = shadow_scene()
    rim = np.zeros(obj.shape, np.uint8)
    cv2.circle(rim, (320, 260), 12, 1, -1)  # the click removed a piece of the shadow's rim
    mask = (obj | shadow) & ~rim.astype(bool)
    click = Point(320.5, 260.5, False)
    prompt = Prompt(box=BOX, points=(click,))
    with_clicks = UncertaintyEstimator(click_doubt=0.35, click_reach=0.1)(ImageData(img), MaskOutput(mask), prompt).full() >= 0.5
    without = UncertaintyEstimator(click_doubt=0.0)(ImageData(img), MaskOutput(mask), prompt).full() >= 0.5
    yy, xx = np.mgrid[0:400, 0:400]
    dist = np.hypot(xx - 320, yy - 260)
    # the click's reach: 0.1 of the window's diagonal, 47.5 px here
    rest = shadow & mask & (dist <= 44)
    assert without[rest].mean() < 0.3  # the shadow trained the colour model: it looks certain
    assert with_clicks[rest].mean() > 0.8
    assert with_clicks[obj].mean() < 0.1  # the object's own colour is not the click's
    assert not (with_clicks & ~without & (dist > 50)).any()  # nothing beyond its reach changes


def test_no_clicks_no_click_doubt():
    img, obj, shadow = shadow_scene()
    a = UncertaintyEstimator(click_doubt=0.35)(ImageData(img), MaskOutput(obj | shadow), Prompt(box=BOX)).full()
    b = UncertaintyEstimator(click_doubt=0.0)(ImageData(img), MaskOutput(obj | shadow), Prompt(box=BOX)).full()
    assert np.array_equal(a, b)


def test_click_doubt_shows_where_to_look_but_is_not_counted_as_effort():
    img, obj, shadow = shadow_scene()
    rim = np.zeros(obj.shape, np.uint8)
    cv2.circle(rim, (320, 260), 12, 1, -1)
    mask = (obj | shadow) & ~rim.astype(bool)
    prompt = Prompt(box=BOX, points=(Point(320.5, 260.5, False),))
    a = UncertaintyEstimator(click_doubt=0.35)(ImageData(img), MaskOutput(mask), prompt)
    b = UncertaintyEstimator(click_doubt=0.0)(ImageData(img), MaskOutput(mask), prompt)
    assert a.band_share > b.band_share
    assert "clicks" in a.sources
    assert a.effort == b.effort and a.expected_loss == b.expected_loss
