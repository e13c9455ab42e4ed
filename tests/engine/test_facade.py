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
