"""The see-through switch (ADR 0161): the colour-contrast prior's cut replaces the plain
cut when it is far less like the box's surround and still reaches the box's sides. Its
verdict is taken at a quarter of the coarse pixels, and at the coarse scale only when
the cheap cut lost the object (thin structures vanish at a quarter of the pixels)."""

from __future__ import annotations

import numpy as np
import pytest

from dis_annotator.engine.classical.box_cut import SUSPICIOUS_FIT, BoxCut, switch_demand
from dis_annotator.engine.types import Box, ImageData, Prompt
from tests.synthetic import spoked_wheel, two_tone_blob


def _cut_scales(cut: BoxCut, image: ImageData, prompt: Prompt) -> tuple[str, list[tuple[float, bool]]]:
    """``(how, [(roi scale, use_prior) of every GrabCut run])`` for one box."""
    calls: list[tuple[float, bool]] = []
    original = cut._cut

    def spy(image, prompt, roi, use_prior=False):
        calls.append((roi.scale, use_prior))
        return original(image, prompt, roi, use_prior)

    cut._cut = spy  # type: ignore[method-assign]
    _, _, how = cut(image, prompt)
    return how, calls


def test_spokes_lost_at_the_check_scale_are_judged_at_the_coarse_scale():
    img, _, xyxy = spoked_wheel(640, seed=0)
    cut = BoxCut()
    prompt = Prompt(box=Box(*xyxy))
    how, calls = _cut_scales(cut, ImageData(img), prompt)
    coarse = calls[0][0]
    priors = [scale for scale, prior in calls if prior]
    assert how == "colour-contrast prior"
    assert priors[0] < coarse  # the cheap check ran first, lost the 2-px spokes ...
    assert coarse in priors  # ... and the verdict came from the coarse scale


def test_a_solid_object_needs_only_the_cheap_check():
    img, _, xyxy = two_tone_blob()
    cut = BoxCut(filled_threshold=0.0)  # force the check on a solid object
    how, calls = _cut_scales(cut, ImageData(img), Prompt(box=Box(*xyxy)))
    coarse = calls[0][0]
    priors = [scale for scale, prior in calls if prior]
    assert how == "box"
    assert len(priors) == 1 and priors[0] < coarse


def _disc_in_a_wide_box() -> tuple[ImageData, Prompt, np.ndarray]:
    """A red disc on grey noise; the box covers most of the image but the disc does not
    reach its sides (box fit about 0.6: too little for a switch against a fitting cut)."""
    rng = np.random.default_rng(0)
    rgb = rng.normal(128, 12, (200, 200, 3)).clip(0, 255).astype(np.uint8)
    yy, xx = np.mgrid[:200, :200]
    disc = (yy - 100) ** 2 + (xx - 100) ** 2 <= 70**2
    rgb[disc] = (200, 40, 40)
    return ImageData(rgb), Prompt(box=Box(10, 10, 190, 190)), disc


def test_a_plain_cut_keeping_the_whole_box_does_not_veto_the_prior_by_its_extent():
    image, prompt, _ = _disc_in_a_wide_box()
    cut = BoxCut()
    roi = cut.roi(image, prompt.box)
    inside = roi.box_mask(prompt.box)
    # Kept (nearly) the whole box: separated nothing, so its extent is no standard.
    assert cut._prior_fits_better(image, prompt, roi, inside.copy(), inside, filled=0.6) is not None


def test_a_plain_cut_that_fits_its_box_keeps_the_switch_strict():
    image, prompt, disc = _disc_in_a_wide_box()
    cut = BoxCut()
    roi = cut.roi(image, prompt.box)
    inside = roi.box_mask(prompt.box)
    # A plain cut reaching every side, yet keeping less of the box than where the demand
    # starts to ease: the prior's disc (box fit about 0.6) may not replace it.
    frame = inside.copy()
    rows, cols = np.flatnonzero(inside.any(1)), np.flatnonzero(inside.any(0))
    frame[rows[0] + 25 : rows[-1] - 25, cols[0] + 25 : cols[-1] - 25] = False
    assert frame.sum() <= cut.full_area[0] * inside.sum()
    assert cut._prior_fits_better(image, prompt, roi, frame, inside, filled=0.6) is None


def test_the_demand_eases_with_the_kept_area_not_at_one_threshold():
    full = BoxCut().full_area
    lo, hi = full
    below = switch_demand(0.97, lo - 0.05, full)
    middle = switch_demand(0.97, (lo + hi) / 2, full)
    above = switch_demand(0.97, hi + 0.05, full)
    assert below == pytest.approx(0.92)  # ADR 0161's guard: the plain fit less 0.05
    assert above == pytest.approx(SUSPICIOUS_FIT)  # only what every candidate needs
    assert above < middle < below
    # no step: a pixel more or less of kept area moves the demand by little
    steps = np.linspace(lo, hi, 101)
    demands = [switch_demand(0.97, a, full) for a in steps]
    assert max(abs(np.diff(demands))) < 0.01
