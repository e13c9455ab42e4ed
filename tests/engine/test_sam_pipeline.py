"""SamCoarseStage inside the Pipeline: box, then clicks continuing from SAM's logits."""

from __future__ import annotations

import numpy as np

from dis_annotator.engine.pipeline import Pipeline
from dis_annotator.engine.types import Box, ImageData, Point, Prompt, Request
from tests.engine.sam_tiny import make_image, sam_stage, tiny_sam


def test_box_then_clicks_through_the_pipeline():
    stage = sam_stage(tiny_sam())
    pipe = Pipeline(coarse=stage, backbone=stage.backbone)
    image = ImageData(make_image(200, 260, seed=4))
    box = Box(30, 30, 200, 170)
    first = pipe.run(Request(image, Prompt(box=box), "obj", 1))
    assert first.provenance["learned"] and first.reports[0].name == "sam-vit_b"
    assert first.reports[0].ms > 0
    second = pipe.run(
        Request(image, Prompt(box=box, points=(Point(100, 100),)), "obj", 2, first.output)
    )
    assert second.reports[0].settings["previous_logits"] is True
    assert stage.backbone.encodes == 1
    direct = stage.predict(image, Prompt(box=box, points=(Point(100, 100),)), first.output)
    np.testing.assert_array_equal(second.mask, direct.mask)
