"""The re-cut's disagreement, the box-side contact strips, a click settling its band part,
an empty answer and the expected 1 − IoU (issue 15, docs/adr/0153)."""

from __future__ import annotations

import cv2
import numpy as np

from dis_annotator.engine.types import Box, ImageData, MaskOutput, Point, Prompt
from dis_annotator.engine.uncertainty import UncertaintyEstimator
from dis_annotator.engine.uncertainty.effort import expected_loss
from dis_annotator.engine.uncertainty.hypothesis import contact_strips
from tests.synthetic import textured_background

BOX = Box(60.0, 60.0, 340.0, 330.0)


def leak_scene(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A red-grey disc standing on textured ground that spans the whole photo; the mask
    took in the ground inside the box (a leak along its bottom side).

    Returns (image H×W×3 uint8, truth H×W bool, leak H×W bool)."""
    rng = np.random.default_rng(seed)
    h = w = 400
    img = textured_background(h, w, rng)
    img[..., 2] += 60  # a bluish backdrop
    ground = np.zeros((h, w), bool)
    ground[265:] = True
    img[ground] = textured_background(h, w, np.random.default_rng(seed + 1))[ground] * [1.0, 0.9, 0.3] + [
        60, 50, 0]
    disc = np.zeros((h, w), np.uint8)
    cv2.circle(disc, (200, 190), 95, 1, -1)
    truth = disc.astype(bool)
    img[truth] = np.array([170, 70, 60], np.float32) + rng.normal(0, 10, (int(truth.sum()), 3))
    inside = np.zeros((h, w), bool)
    inside[60:330, 60:340] = True
    leak = ground & inside & ~truth
    return np.clip(img, 0, 255).astype(np.uint8), truth, leak


def band(img: np.ndarray, mask: np.ndarray, **kw) -> np.ndarray:
    return UncertaintyEstimator(**kw)(ImageData(img), MaskOutput(mask), Prompt(box=BOX)).full() >= 0.5


def test_a_leak_along_a_box_side_lies_in_the_band_through_the_recut():
    img, truth, leak = leak_scene()
    with_recut = band(img, truth | leak)
    without = band(img, truth | leak, recut=0.0)
    assert with_recut[leak].mean() > 0.7
    assert with_recut[leak].mean() > without[leak].mean() + 0.3  # the re-cut is what finds it
    assert with_recut[truth].mean() < 0.2  # and it does not doubt the object itself


def test_a_right_mask_gets_no_recut_doubt():
    img, truth, _ = leak_scene(1)
    assert band(img, truth).mean() < 0.01


def test_contact_strips_follow_long_contact_only():
    inside = np.zeros((200, 200), bool)
    inside[20:180, 20:180] = True
    blob = np.zeros((200, 200), np.uint8)
    cv2.circle(blob, (100, 100), 79, 1, -1)  # touches each side at one point
    assert not contact_strips(blob.astype(bool), inside).any()
    slab = blob.astype(bool).copy()
    slab[140:180, 20:180] = True  # runs along the bottom and the lower parts of the sides
    strips = contact_strips(slab, inside)
    assert strips[178:180, 20:180].all()  # 2 % of the box deep: 3 px
    assert not strips[20:80].any()  # the top side is met at one point only


def test_a_confirm_click_moves_the_suggestion_to_another_part():
    img, truth, leak = leak_scene()
    # two errors: the leak and a missed lobe of the disc
    lobe = np.zeros(truth.shape, np.uint8)
    cv2.circle(lobe, (200, 120), 30, 1, -1)
    missed = lobe.astype(bool) & truth
    mask = (truth & ~missed) | leak
    est = UncertaintyEstimator()
    first = est(ImageData(img), MaskOutput(mask), Prompt(box=BOX))
    x, y = first.suggested_click
    part = first.full() >= 0.5
    n, labels = cv2.connectedComponents((part & (mask if mask[int(y), int(x)] else ~mask)).astype(np.uint8))
    k = labels[int(y), int(x)]
    assert k > 0
    # the user confirms the label the mask already has there: nothing changes but the prompt
    click = Point(x, y, bool(mask[int(y), int(x)]))
    second = est(ImageData(img), MaskOutput(mask), Prompt(box=BOX, points=(click,)))
    assert second.suggested_click is not None
    x2, y2 = second.suggested_click
    assert labels[int(y2), int(x2)] != k
    no_parts = UncertaintyEstimator(settle_parts=False)
    again = no_parts(ImageData(img), MaskOutput(mask), Prompt(box=BOX, points=(click,)))
    ax, ay = again.suggested_click
    assert labels[int(ay), int(ax)] == k  # without settling the part it would stay there


def test_an_empty_answer_puts_the_whole_box_in_doubt():
    img, truth, _ = leak_scene()
    u = UncertaintyEstimator()(ImageData(img), MaskOutput(np.zeros(truth.shape, bool)), Prompt(box=BOX))
    full = u.full()
    assert (full[60:330, 60:340] >= 0.5).all() and full[:60].max() == 0.0
    assert u.suggested_positive is True and u.effort > 0 and u.expected_loss == 1.0


def test_expected_loss_is_zero_without_doubt_and_grows_with_it():
    mask = np.zeros((50, 50), bool)
    mask[10:40, 10:40] = True
    u = np.zeros((50, 50), np.float32)
    assert expected_loss(mask, u) == 0.0
    u[10:20, 10:40] = 1.0  # a third of the mask is a coin toss
    small = expected_loss(mask, u)
    u[0:10, :] = 1.0  # and a strip outside it too
    assert 0.1 < small < expected_loss(mask, u) < 1.0
