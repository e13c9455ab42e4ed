"""Full-size vit_b with random weights: architecture, bare-checkpoint load, encode + decode."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dis_annotator.engine.sam_model import PRESETS, build_sam, load_sam
from dis_annotator.engine.types import Box, ImageData, Point, Prompt
from dis_annotator.nets.sam_import import sam_model_registry
from tests.engine.sam_tiny import make_image, sam_stage


@pytest.mark.slow
def test_real_vit_b_encode_and_decode(tmp_path):
    torch.manual_seed(0)
    official = sam_model_registry["vit_b"]().state_dict()
    ours = build_sam(PRESETS["vit_b"])
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in official.items()
    }
    path = tmp_path / "sam_vit_b_random.pth"
    torch.save(official, path)  # a bare state dict, like the official file
    del official, ours
    sam, config = load_sam(path)
    assert config.model_type == "vit_b"
    stage = sam_stage(sam, config.model_type)
    image = ImageData(make_image(480, 640, seed=2))
    emb = stage.backbone.embedding(image)
    assert emb.features.shape == (1, 256, 64, 64)
    assert emb.interm is not None and emb.interm.shape == (1, 64, 64, 768)
    assert emb.input_size == (768, 1024)
    out = stage.predict(image, Prompt(box=Box(100, 80, 500, 400)), None)
    assert out.mask.shape == (480, 640) and out.state["sam_logits"].shape == (1, 256, 256)
    assert np.isfinite(out.prob).all() and out.score is not None
    nxt = stage.predict(image, Prompt(box=Box(100, 80, 500, 400), points=(Point(300, 240),)), out)
    assert nxt.report.settings["previous_logits"] and stage.backbone.encodes == 1
