"""The see-through switch (ADR 0161): the colour-contrast prior's cut replaces the plain
cut when it is far less like the box's surround and still reaches the box's sides. Its
verdict is taken at a quarter of the coarse pixels, and at the coarse scale only when
the cheap cut lost the object (thin structures vanish at a quarter of the pixels)."""

from __future__ import annotations

from dis_annotator.engine.classical.box_cut import BoxCut
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
