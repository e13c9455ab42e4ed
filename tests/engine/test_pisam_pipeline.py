"""Pi-SAM wired the way the factory wires it: one backbone, Pi-SAM as the SAM coarse
stage's box path and as the corrector."""

import numpy as np

from dis_annotator.engine import pisam_stage
from dis_annotator.engine.pipeline import Pipeline
from dis_annotator.engine.pisam_stage import PiSamCorrector
from dis_annotator.engine.sam_stage import SamCoarseStage
from dis_annotator.engine.types import Box, ImageData, Point, Prompt, Request
from dis_annotator.nets.pisam.decoder import PiSamDecoder
from dis_annotator.training.pisam_tiny import tiny_backbone


def test_box_then_clicks_through_the_pipeline(tmp_path, monkeypatch):
    import torch

    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(tmp_path))
    torch.manual_seed(0)
    dec = PiSamDecoder(vit_dim=32)
    torch.nn.init.normal_(dec.interactor.out_conv.weight, std=0.5)  # a non-trivial interactor
    pisam_stage.save_pisam(tmp_path / "pisam_tiny.pth", dec, sam_model="tiny", frame=256,
                           stage=2, step=1)
    sam = tiny_backbone(seed=0)
    pisam = pisam_stage.load_default(backbone=sam)
    pipe = Pipeline(coarse=SamCoarseStage(sam, box_path=pisam), corrector=PiSamCorrector(pisam),
                    backbone=sam)
    image = ImageData(np.random.default_rng(1).integers(0, 255, (120, 90, 3), dtype=np.uint8))
    box = Box(10, 20, 80, 110)
    first = pipe.run(Request(image, Prompt(box=box)))
    assert [r.stage for r in first.reports] == ["coarse"]
    assert first.reports[0].name == "pisam" and first.mask.shape == (120, 90)
    prompt = Prompt(box=box, points=(Point(30, 60, False),))
    second = pipe.run(Request(image, prompt, previous=first.output, generation=1))
    assert [r.stage for r in second.reports] == ["correct"]
    assert second.output.state["pisam_box"] == box.as_tuple()
    assert not np.array_equal(second.output.prob, first.output.prob)
    assert sam.encodes == 1  # the image was encoded once for the box and the click
