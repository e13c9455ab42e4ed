"""An empty box result is reported, not accepted: engine flag, pipeline, batch exit code."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import cv2
import numpy as np
from PIL import Image

from dis_annotator.batch import BatchOptions, ImageJob, run_batch
from dis_annotator.engine.classical import ClassicalRefiner, GrabCutStage
from dis_annotator.engine.empty_result import box_result_problem
from dis_annotator.engine.pipeline import Pipeline
from dis_annotator.engine.types import Box, ImageData, MaskOutput, Prompt, Request
from dis_annotator.io.boxes import BoxEntry

BOX = Box(100, 50, 300, 250)


def test_empty_and_small_blob_are_problems_a_wire_is_not():
    mask = np.zeros((300, 400), bool)
    assert "empty" in box_result_problem(mask, BOX)
    mask[60:70, 110:120] = True  # 100 px in a corner of a 200x200 box
    assert "almost empty" in box_result_problem(mask, BOX)
    wire = np.zeros((300, 400), np.uint8)
    cv2.line(wire, (105, 55), (295, 245), 1, 1)  # ~190 px, but spans the box
    assert box_result_problem(wire > 0, BOX) is None
    solid = np.zeros((300, 400), bool)
    solid[80:220, 130:270] = True
    assert box_result_problem(solid, BOX) is None
    outside = np.zeros((300, 400), bool)
    outside[:, 320:] = True  # plenty of mask, none of it in the box
    assert "empty" in box_result_problem(outside, BOX)


class _Empty:
    name = "empty-stub"
    learned = False

    def prepare(self, image, is_current=None):
        pass

    def predict(self, image, prompt, previous):
        return MaskOutput(np.zeros((image.height, image.width), bool))


def test_pipeline_flags_an_empty_box_result_through_the_refiner():
    image = ImageData(np.full((300, 400, 3), 120, np.uint8))
    result = Pipeline(_Empty(), ClassicalRefiner()).run(Request(image, Prompt(box=BOX)))
    assert result.failure is not None and "[100, 50, 300, 250]" in result.failure
    assert not result.mask.any()


def test_grabcut_on_a_featureless_box_says_so_or_finds_something():
    """A box over flat noise that looks exactly like its surround has no object in it."""
    rng = np.random.default_rng(0)
    img = rng.normal(128, 3, (300, 400, 3)).clip(0, 255).astype(np.uint8)
    out = GrabCutStage().predict(ImageData(img), Prompt(box=BOX), None)
    problem = box_result_problem(out.mask, BOX)
    assert out.failure == problem  # never an empty mask without a word


def test_batch_fails_the_image_naming_the_box(tmp_path: Path):
    img = np.full((300, 400, 3), 120, np.uint8)
    Image.fromarray(img).save(tmp_path / "a.png")
    job = ImageJob(tmp_path / "a.png", PurePosixPath("a.png"), [BoxEntry((100, 50, 300, 250))])
    report = run_batch([job], Pipeline(_Empty()), BatchOptions(tmp_path / "out"), progress=False)
    assert report.written == [] and len(report.failed) == 1
    name, reason = report.failed[0]
    assert name == "a.png" and "box 1" in reason and "empty" in reason
    assert not (tmp_path / "out" / "a.png").exists()
    json.dumps(report.failed)  # plain strings, printable by the CLI


def test_bundled_sample_boxes_give_whole_objects():
    """The README's main job: whole objects, the cup's white inside and the helmet kept."""
    from dis_annotator import resources
    from dis_annotator.engine.factory import build_pipeline
    from dis_annotator.io import load_image

    samples = resources.resource_path("samples")
    table = json.loads((samples / "boxes.json").read_text())
    pipeline = build_pipeline(engine="classical")
    inside_points = {"coffee.jpg": [(290, 60), (240, 130)], "astronaut.jpg": [(400, 430)]}
    for name in ("coffee.jpg", "astronaut.jpg"):
        image = ImageData(load_image(samples / name))
        for b in table[name]:
            result = pipeline.run(Request(image, Prompt(box=Box(*b))))
            assert result.failure is None
            x0, y0, x1, y1 = b
            assert result.mask[y0:y1, x0:x1].mean() > 0.3, name
        for x, y in inside_points[name]:
            assert result.mask[y, x], (name, x, y)
