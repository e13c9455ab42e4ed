import numpy as np
import pytest

from dis_annotator.engine.classical import ClassicalRefiner, GrabCutStage
from dis_annotator.engine.factory import build_pipeline
from dis_annotator.engine.pipeline import Pipeline
from dis_annotator.engine.types import Box, ImageData, Point, Prompt, Request, Superseded
from tests.synthetic import two_tone_blob


@pytest.fixture(scope="module")
def blob():
    img, truth, box = two_tone_blob()
    return ImageData(img), truth, Box(*box)


def test_partial_coarse_result_then_refined(blob):
    image, _, box = blob
    partials = []
    result = Pipeline(GrabCutStage(), ClassicalRefiner()).run(
        Request(image, Prompt(box=box), "obj", 3), on_partial=partials.append
    )
    # The coarse mask first, then the refined one before its uncertainty estimate.
    assert len(partials) == 2 and all(p.partial and p.generation == 3 for p in partials)
    assert [r.stage for r in partials[0].reports] == ["coarse"]
    assert [r.stage for r in partials[1].reports] == ["coarse", "refine"]
    assert partials[1].uncertainty is None and np.array_equal(partials[1].mask, result.mask)
    assert not result.partial and [r.stage for r in result.reports] == ["coarse", "refine"]
    assert result.uncertainty is not None
    assert all(r.ms > 0 for r in result.reports)
    assert result.provenance["total_ms"] > 0


def test_superseded_between_stages(blob):
    image, _, box = blob
    calls = []

    def is_current():
        calls.append(1)
        return len(calls) < 2  # current for the coarse stage, stale before refining

    with pytest.raises(Superseded):
        Pipeline(GrabCutStage(), ClassicalRefiner()).run(
            Request(image, Prompt(box=box)), is_current=is_current
        )


def test_followup_click_continues_from_previous(blob):
    image, _, box = blob
    p = Pipeline(GrabCutStage(), ClassicalRefiner())
    first = p.run(Request(image, Prompt(box=box)))
    second = p.run(
        Request(image, Prompt(box=box, points=(Point(560, 200, False),)), previous=first.output)
    )
    assert second.reports[0].settings["init"] == "previous mask"
    assert not second.mask[200, 560]


def test_factory_without_weights_is_classical_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(tmp_path))
    p = build_pipeline()
    assert not p.coarse.learned and not p.refiner.learned
    assert any("SAM" in n for n in p.notes) and any("IS5Net" in n for n in p.notes)
    assert "classical" in p.summary()
    assert build_pipeline(refiner="none").refiner is None


def test_prompt_validation(blob):
    image, _, _ = blob
    p = Pipeline(GrabCutStage())
    with pytest.raises(ValueError, match="empty or lies outside"):
        p.run(Request(image, Prompt(box=Box(10, 10, 10, 50))))
    with pytest.raises(ValueError, match="outside"):
        p.run(Request(image, Prompt(box=Box(-100, -100, -10, -10))))
    with pytest.raises(ValueError, match="point"):
        p.run(Request(image, Prompt(box=Box(0, 0, 50, 50), points=(Point(5000, 5),))))
    with pytest.raises(ValueError, match="needs a box"):
        p.run(Request(image, Prompt()))


def test_image_key_identifies_pixels():
    a = np.zeros((4, 5, 3), np.uint8)
    b = a.copy()
    b[0, 0, 0] = 1
    assert ImageData(a).key == ImageData(a.copy()).key != ImageData(b).key
    assert ImageData(a).key != ImageData(np.zeros((5, 4, 3), np.uint8)).key


def test_request_carries_the_object_id_and_its_document_makes_the_slot():
    image = ImageData(np.zeros((4, 4, 3), np.uint8))
    plain = Request(image, Prompt(box=Box(0, 0, 2, 2)), "abc")
    assert plain.object_id == "abc" and plain.slot == "abc"
    in_doc = Request(image, Prompt(box=Box(0, 0, 2, 2)), "abc", document="/p/x.png")
    assert in_doc.object_id == "abc" and in_doc.slot == "/p/x.png#abc"


def test_a_click_shows_its_mask_before_the_uncertainty_estimate(blob):
    image, _, box = blob
    p = build_pipeline("classical")
    assert p.uncertainty and p.corrector is not None
    first = p.run(Request(image, Prompt(box=box)))
    partials = []
    click = Request(image, Prompt(box=box, points=(Point(560, 200, False),)), previous=first.output)
    result = p.run(click, on_partial=partials.append)
    assert p.corrects(click)
    assert len(partials) == 1 and partials[0].partial and partials[0].uncertainty is None
    assert np.array_equal(partials[0].mask, result.mask)
    assert result.uncertainty is not None and not result.partial
