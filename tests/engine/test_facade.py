import numpy as np
import pytest

import dis_annotator
from dis_annotator.engine.factory import build_pipeline
from tests.synthetic import two_tone_blob


@pytest.fixture(scope="module")
def setup():
    img, truth, box = two_tone_blob()
    return img, box, build_pipeline(engine="classical")


def test_segment_returns_full_res_bool_mask_and_provenance(setup):
    img, _, p = setup
    seg = dis_annotator.segment(img, box=(205, 170, 630, 430), pipeline=p)
    assert seg.mask.shape == img.shape[:2] and seg.mask.dtype == np.bool_
    assert seg.mask.any()
    assert {s["stage"] for s in seg.provenance["stages"]} == {"coarse", "refine"}


def test_box_partly_outside_is_clipped(setup):
    img, _, p = setup
    seg = dis_annotator.segment(img, box=(205, 170, 1900, 1900), pipeline=p)
    assert seg.mask.shape == (600, 800)


@pytest.mark.parametrize(
    "box,points,message",
    [
        ((10, 10, 10, 40), (), "empty"),
        ((50, 50, 20, 20), (), None),  # reversed corners are fine (sorted)
        ((900, 700, 1000, 800), (), "outside"),
        ((0, 0, 100, 100), [(800, 10, 1)], "outside"),
        ((0, 0, 100, 100), [(10, -1, 0)], "outside"),
        ((0, 0, 100), (), "x0, y0, x1, y1"),
        ((0, 0, 100, 100), [(10, 10, 2)], "1|0"),
        (None, (), "needs a box"),
    ],
)
def test_errors(setup, box, points, message):
    img, _, p = setup
    if message is None:
        assert dis_annotator.segment(img, box=box, points=points, pipeline=p).mask.shape == (600, 800)
        return
    with pytest.raises(ValueError, match=message):
        dis_annotator.segment(img, box=box, points=points, pipeline=p)


def test_path_input_and_bad_path(tmp_path, setup):
    img, _, p = setup
    from PIL import Image

    Image.fromarray(img).save(tmp_path / "x.png")
    assert dis_annotator.segment(tmp_path / "x.png", box=(205, 170, 630, 430), pipeline=p).mask.any()
    from dis_annotator.io import ImageLoadError

    with pytest.raises(ImageLoadError):
        dis_annotator.segment(tmp_path / "missing.png", box=(0, 0, 5, 5), pipeline=p)


def test_a_script_re_running_a_stored_object_keeps_its_manual_edits(setup, tmp_path):
    """The README's recipe: the document and ``segment(edits=...)`` compose alike."""
    from PIL import Image

    from dis_annotator.annotation import (
        AddObject,
        History,
        PaintMask,
        SetMask,
        compose,
        load_sidecar,
        save_sidecar,
        stroke_mask,
    )
    from dis_annotator.annotation.document import Document

    img, box, p = setup
    path = tmp_path / "photo.png"
    Image.fromarray(img).save(path)
    doc = Document(path, img.shape[1], img.shape[0])
    h = History(doc)
    obj = doc.new_object(prompt=None)
    h.push(AddObject(obj))
    first = dis_annotator.segment(img, box=box, pipeline=p)
    h.push(SetMask(obj.id, first.mask))
    wire = stroke_mask(doc.shape, [(20, 20), (180, 40)], 3)  # far outside the object
    band = stroke_mask(doc.shape, [(box[0], 300), (box[2], 300)], 6)  # through it
    h.push(PaintMask(obj.id, wire, True))
    h.push(PaintMask(obj.id, band, False))
    save_sidecar(doc)

    stored = load_sidecar(path)
    target = stored.objects[0]
    better = dis_annotator.segment(path, box=(box[0] - 5, box[1] - 5, box[2] + 5, box[3] + 5),
                                   pipeline=p, edits=target.edits)
    assert not better.model_mask[wire[0].slices][wire[1]].all()  # the model alone lacks the wire
    assert better.mask[wire[0].slices][wire[1]].all()
    assert not better.mask[band[0].slices][band[1]].any()
    assert np.array_equal(better.mask, compose(better.model_mask, target.edits))
    assert better.provenance["manual_edits"]["painted_px"] > 0
    History(stored).push(SetMask(target.id, better.model_mask, provenance=better.provenance))
    assert np.array_equal(target.mask, better.mask)
    # without edits: the plain result, one array
    plain = dis_annotator.segment(img, box=box, pipeline=p)
    assert plain.model_mask is plain.mask and "manual_edits" not in plain.provenance
