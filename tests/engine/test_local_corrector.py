"""The classical click corrector: local, one-sided, meaningful corrections on drawn cases."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dis_annotator.engine.classical.corrector import LocalCorrector, distance_to
from dis_annotator.engine.factory import build_pipeline
from dis_annotator.engine.types import Box, ImageData, MaskOutput, Point, Prompt, Request
from tests.synthetic import iou, spoked_wheel, textured_background, two_tone_blob


def interior(region: np.ndarray) -> Point:
    """The protocol's click: the region's most interior pixel."""
    dt = cv2.distanceTransform(np.pad(region, 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dt)), dt.shape)
    return Point(x + 0.5, y + 0.5)


@pytest.fixture(scope="module")
def scene():
    """two_tone_blob's object, its disc part, and a distinct false blob beside the object."""
    img, truth, box = two_tone_blob()
    disc = np.zeros(truth.shape, np.uint8)
    cv2.circle(disc, (560, 200), 60, 1, -1)
    missed = truth & disc.astype(bool) & ~_ellipse(truth.shape)
    blob = np.zeros(truth.shape, np.uint8)
    cv2.circle(blob, (250, 420), 45, 1, -1)
    blob = blob.astype(bool) & ~truth
    img = img.copy()
    img[blob] = (40, 70, 200)
    return img, truth, box, missed, blob


def _ellipse(shape: tuple[int, int]) -> np.ndarray:
    e = np.zeros(shape, np.uint8)
    cv2.ellipse(e, (400, 300), (180, 120), 20, 0, 360, 1, -1)
    return e.astype(bool)


def _correct(img: np.ndarray, previous: np.ndarray, *points: Point) -> MaskOutput:
    return LocalCorrector().correct(ImageData(img), Prompt(points=points), MaskOutput(previous))


def test_foreground_click_in_a_missed_part_adds_that_part(scene):
    img, truth, _, missed, _ = scene
    previous = truth & ~missed
    p = interior(missed)
    out = _correct(img, previous, Point(p.x, p.y, True))
    added = out.mask & ~previous
    assert iou(added, missed) >= 0.5
    assert not (previous & ~out.mask).any()  # a foreground click only adds


def test_background_click_removes_a_false_blob_entirely(scene):
    img, truth, _, _, blob = scene
    previous = truth | blob
    p = interior(blob)
    out = _correct(img, previous, Point(p.x, p.y, False))
    assert not (out.mask & blob).any()
    assert iou(out.mask, truth) > 0.97  # the object stays
    assert not (out.mask & ~previous).any()  # a background click only removes


def test_nothing_changes_outside_the_neighbourhood(scene):
    img, truth, _, missed, _ = scene
    # The scene in the corner of a larger photo, with a false blob far from the object.
    canvas = textured_background(1200, 1600, np.random.default_rng(3)).clip(0, 255).astype(np.uint8)
    canvas[:600, :800] = img
    big = lambda m: np.pad(m, ((0, 600), (0, 800)))  # noqa: E731
    far_blob = np.zeros((1200, 1600), np.uint8)
    cv2.circle(far_blob, (1400, 1000), 50, 1, -1)
    far_blob = far_blob.astype(bool)
    canvas[far_blob] = (40, 70, 200)
    previous = big(truth & ~missed) | far_blob  # two errors; the click fixes one
    click = interior(big(missed))
    click = Point(click.x, click.y, True)
    corrector = LocalCorrector()
    image = ImageData(canvas)
    (x0, y0, x1, y1), d = corrector.window(image, previous, click)
    out = corrector.correct(image, Prompt(points=(click,)), MaskOutput(previous))
    outside = np.ones(previous.shape, bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(out.mask[outside], previous[outside])
    assert iou(out.mask & ~previous, big(missed)) >= 0.5
    # The neighbourhood follows the error being fixed (the click's distance to the mask),
    # not the image: here it is a small part of it, and the far blob is left alone.
    assert (x1 - x0) * (y1 - y0) < 0.25 * previous.size
    assert np.array_equal(out.mask & far_blob, far_blob)
    assert out.report.settings["windows"] == [(x0, y0, x1, y1)]
    assert d == pytest.approx(distance_to(previous, int(click.x), int(click.y)))


def test_a_click_already_satisfied_changes_nothing(scene):
    img, truth, *_ = scene
    out = _correct(img, truth, Point(400.5, 300.5, True), Point(20.5, 20.5, False))
    assert np.array_equal(out.mask, truth) and out.report.settings["windows"] == []


def test_distance_to():
    target = np.zeros((300, 400), bool)
    assert distance_to(target, 10, 10) == float("inf")
    target[250, 390] = True
    assert distance_to(target, 10, 10) == pytest.approx(np.hypot(240, 380), rel=1e-3)


def test_classical_pipeline_uses_the_local_corrector_without_refining_after(scene):
    img, truth, box, _, blob = scene
    pipe = build_pipeline(engine="classical")
    assert pipe.corrector is not None and pipe.corrector.name == "local-grabcut"
    assert not pipe.refine_after_correct
    image = ImageData(img)
    first = pipe.run(Request(image, Prompt(box=Box(*box))))
    p = interior(first.mask & ~truth) if (first.mask & ~truth).any() else Point(250.5, 420.5)
    second = pipe.run(
        Request(image, Prompt(box=Box(*box), points=(Point(p.x, p.y, False),)), previous=first.output)
    )
    assert [r.stage for r in second.reports] == ["correct"]
    assert not second.mask[int(p.y), int(p.x)]


def _bar_scene() -> tuple[np.ndarray, np.ndarray]:
    """A red object (a disc) joined to a long red bar that runs far to the right; the
    user's box holds the disc only. Grey, lightly noisy background."""
    rng = np.random.default_rng(5)
    img = np.clip(rng.normal(128, 4, (300, 500, 3)), 0, 255).astype(np.uint8)
    red = np.zeros((300, 500), np.uint8)
    cv2.circle(red, (100, 150), 60, 1, -1)
    red[140:160, 100:490] = 1
    img[red.astype(bool)] = (200, 40, 40)
    return img, red.astype(bool)


def test_a_foreground_click_inside_the_box_adds_nothing_outside_it():
    img, red = _bar_scene()
    box = Box(30, 80, 175, 220)
    core = np.zeros(red.shape, np.uint8)
    cv2.circle(core, (100, 150), 20, 1, -1)
    previous = core.astype(bool)  # the disc's core only: a wide ring missed
    click = Point(100.5, 190.5, True)  # in the missed ring, inside the box
    out = LocalCorrector().correct(ImageData(img), Prompt(box=box, points=(click,)), MaskOutput(previous))
    assert out.mask[190, 100]
    assert not out.mask[:, 175:].any()  # the bar beyond the box is not the object
    # The same click without a box may follow the bar (nothing says where the object ends;
    # the size bound is off so that only the box makes the difference).
    free = LocalCorrector(max_growth=0).correct(ImageData(img), Prompt(points=(click,)), MaskOutput(previous))
    assert free.mask[:, 175:].any()


def test_a_foreground_click_outside_the_box_may_add_outside_it():
    img, red = _bar_scene()
    box = Box(30, 80, 175, 220)
    previous = red.copy()
    previous[:, 175:] = False
    click = Point(300.5, 150.5, True)  # the user says the bar belongs to the object
    out = LocalCorrector().correct(ImageData(img), Prompt(box=box, points=(click,)), MaskOutput(previous))
    assert out.mask[150, 300] and out.mask[150, 176:300].mean() > 0.9


def test_a_click_never_undoes_a_nearby_click_of_the_other_label():
    img, red = _bar_scene()
    previous = red.copy()
    keep = Point(100.5, 150.5, True)  # the user said: this is the object
    drop = Point(104.5, 150.5, False)  # ...and, 4 px away, this is not
    out = LocalCorrector().correct(ImageData(img), Prompt(points=(keep, drop)), MaskOutput(previous))
    assert not out.mask[150, 104]
    assert out.mask[150, 100]


def test_a_click_in_a_long_textured_false_strip_removes_a_disc_of_it_not_a_speck():
    """A false strip along the object, in the background's texture: the click's coherent
    colour region is a few pixels wide (texture), the strip is long. The change is cut to
    a disc of the error's size around the click (ADR 0161), not redone at the texture's
    size, which fixed a few pixels of it."""
    rng = np.random.default_rng(3)
    img = np.clip(textured_background(300, 500, rng), 0, 255).astype(np.uint8)
    obj = np.zeros((300, 500), bool)
    obj[100:200, 50:450] = True
    img[obj] = (200, 40, 40)
    strip = np.zeros_like(obj)
    strip[60:100, 60:440] = True  # 40 px wide, 380 px long, background-coloured
    previous = obj | strip
    click = Point(250.5, 80.5, False)
    out = _correct(img, previous, click).mask
    removed = previous & ~out
    d = distance_to(~previous, 250, 80)
    near = np.zeros(obj.shape, np.uint8)
    cv2.circle(near, (250, 80), int(np.ceil(2 * d)), 1, -1)
    near = near.astype(bool)
    assert removed.sum() >= 0.6 * (strip & near).sum()  # a disc of the strip, not a speck
    assert not (removed & ~near).any()  # bounded by the error's size
    assert not (removed & obj).any()


def _wheel_without_spokes(spoke_px: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, Point]:
    """spoked_wheel's image and truth, a mask with the rim and hub only, and a
    foreground click on a spoke halfway between them (~115 px from the mask)."""
    img, truth, _ = spoked_wheel(800, 0, 24, spoke_px)
    inner = np.zeros(truth.shape, np.uint8)
    cv2.circle(inner, (400, 400), int(800 * 0.38) - 8, 1, -1)
    cv2.circle(inner, (400, 400), 800 // 30 + 6, 0, -1)
    spokes = truth & inner.astype(bool)
    ys, xs = np.nonzero(spokes)
    a = 2 * np.pi * 3 / 24
    k = int(np.argmin((xs - 400 - 152 * np.cos(a)) ** 2 + (ys - 400 - 152 * np.sin(a)) ** 2))
    return img, truth, truth & ~spokes, Point(xs[k] + 0.5, ys[k] + 0.5, True)


@pytest.mark.parametrize("spoke_px", [2, 4, 6])
def test_a_click_on_a_thin_spoke_far_from_the_mask_adds_the_spoke_not_the_background(spoke_px):
    """The window's cut at a third of the resolution loses a spoke and added a blob of
    the textured background around the click (1 681 px, 428 of them spoke, at 4 px);
    the click's colour line, flooded at full resolution, is added instead (ADR 0164)."""
    img, truth, previous, click = _wheel_without_spokes(spoke_px)
    added = _correct(img, previous, click).mask & ~previous
    assert added.sum() >= 200
    assert (added & truth).sum() >= 0.95 * added.sum()


def test_a_thin_streak_inside_a_distinct_missed_part_still_adds_the_part():
    """A light streak across a dark missed part: the click's colour region is a thin
    line, but the window's cut found colours that do not stay background around it, so
    the cut (the part) is kept."""
    rng = np.random.default_rng(5)
    img = np.clip(textured_background(400, 400, rng), 0, 255).astype(np.uint8)
    obj = np.zeros((400, 400), bool)
    obj[40:140, 100:300] = True
    part = np.zeros((400, 400), bool)
    part[140:300, 150:250] = True
    img[obj] = (200, 40, 40)
    img[part] = (40, 30, 90)
    img[200:300, 198:203] = (170, 170, 230)  # the streak: 5 px wide, 100 px long
    added = _correct(img, obj, Point(200.5, 250.5, True)).mask & ~obj
    assert iou(added, part) >= 0.5


def _bird_on_rock() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grey bird (an ellipse) standing on a rock of the same grey, on a lightly noisy
    green background: nothing in the colours tells the bird from the rock. Returns the
    image, the bird, and the rock's part inside the box."""
    rng = np.random.default_rng(3)
    img = np.clip(rng.normal((60, 140, 60), 5, (300, 400, 3)), 0, 255).astype(np.uint8)
    bird = np.zeros((300, 400), np.uint8)
    cv2.ellipse(bird, (200, 120), (110, 45), 0, 0, 360, 1, -1)
    rock = np.zeros((300, 400), np.uint8)
    cv2.ellipse(rock, (200, 230), (90, 70), 0, 0, 360, 1, -1)
    grey = (bird | rock).astype(bool)
    img[grey] = np.clip(rng.normal(110, 4, (int(grey.sum()), 3)), 0, 255).astype(np.uint8)
    rock_in_box = rock.astype(bool) & ~bird.astype(bool)
    rock_in_box[260:] = False
    return img, bird.astype(bool), rock_in_box


def test_a_background_click_in_a_box_result_does_not_delete_the_object():
    """The box result holds the bird and the rock's top; a background click on the rock
    removes at most half the mask, around the click (ADR 0168). Without the rule the
    window's cut, which cannot tell the two greys apart, takes the bird as well."""
    img, bird, rock = _bird_on_rock()
    box = Box(85, 70, 315, 260)
    previous = bird | rock
    click = Point(200.5, 215.5, False)
    prompt = Prompt(box=box, points=(click,))
    out = LocalCorrector().correct(ImageData(img), prompt, MaskOutput(previous)).mask
    assert not out[215, 200]
    assert not (out & ~previous).any()
    removed = previous & ~out
    assert removed.sum() <= 0.5 * previous.sum()
    assert (out & bird).sum() >= 0.95 * bird.sum()
    assert (removed & rock).sum() >= 0.3 * rock.sum()  # the click still removes a part of what it names
    unbounded = LocalCorrector(max_removal=1.0).correct(ImageData(img), prompt, MaskOutput(previous)).mask
    assert (unbounded & bird).sum() < 0.1 * bird.sum()


def test_without_a_box_a_background_click_may_remove_most_of_the_mask():
    """A foreground click's region can be mostly leak; without a box nothing says the
    mask is one object, so the removal is not bounded."""
    img, bird, rock = _bird_on_rock()
    previous = bird | rock
    click = Point(200.5, 215.5, False)
    out = LocalCorrector().correct(ImageData(img), Prompt(points=(click,)), MaskOutput(previous)).mask
    assert (previous & ~out).sum() > 0.5 * previous.sum()
