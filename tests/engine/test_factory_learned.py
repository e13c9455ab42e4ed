"""build_pipeline("auto") picks every learned stage whose weights are installed, and
falls back to the classical stage — with a note — when a checkpoint is broken."""

import numpy as np
import pytest

from dis_annotator.engine import pisam_stage
from dis_annotator.engine.checkpoint import save_checkpoint
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.factory import build_pipeline
from dis_annotator.engine.types import Box, ImageData, Point, Prompt, Request
from dis_annotator.nets.isnet import ISNetDIS
from dis_annotator.nets.pisam.decoder import PiSamDecoder
from dis_annotator.training.pisam_tiny import TINY_SAM, build_tiny_sam


@pytest.fixture
def models(tmp_path, monkeypatch):
    import torch

    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(tmp_path))
    torch.manual_seed(0)
    sam_path = tmp_path / "sam_tiny.pth"
    save_checkpoint(sam_path, "sam", build_tiny_sam(0).state_dict(), config=TINY_SAM.to_dict())
    pisam_stage.save_pisam(tmp_path / "pisam_tiny.pth", PiSamDecoder(vit_dim=32),
                           sam_model="tiny", frame=256, stage=2, step=1)
    net = ISNetDIS(in_ch=5, width=0.125)
    save_checkpoint(tmp_path / "is5net.pth", "is5net", net.state_dict(),
                    {"in_ch": 5, "width": 0.125, "size": 64})
    return tmp_path, str(sam_path)


def test_auto_uses_all_installed_learned_stages(models):
    folder, sam_path = models
    p = build_pipeline(sam_model=sam_path, device="cpu")
    assert p.coarse.learned and p.refiner.learned and p.corrector is not None
    assert "classical" not in p.summary()
    image = ImageData(np.random.default_rng(1).integers(0, 255, (120, 160, 3), dtype=np.uint8))
    box = Box(20, 20, 120, 100)
    first = p.run(Request(image, Prompt(box=box)))
    assert [(r.stage, r.learned) for r in first.reports] == [("coarse", True), ("refine", True)]
    second = p.run(Request(image, Prompt(box=box, points=(Point(60, 60, False),)),
                           previous=first.output))
    assert [r.stage for r in second.reports] == ["correct", "refine"]
    assert second.provenance["learned"] is True
    no_refine = build_pipeline(sam_model=sam_path, device="cpu", refine_after_correct=False)
    third = no_refine.run(Request(image, Prompt(box=box, points=(Point(60, 60, False),)),
                                  previous=first.output))
    assert [r.stage for r in third.reports] == ["correct"]
    # forcing the classical engine ignores installed weights
    assert not build_pipeline(engine="classical", refiner="classical").coarse.learned


def test_broken_checkpoint_falls_back_with_a_note(models):
    folder, sam_path = models
    (folder / "is5net.pth").write_bytes(b"this is not a checkpoint")
    p = build_pipeline(sam_model=sam_path, device="cpu")
    assert p.coarse.learned and not p.refiner.learned
    assert any("refused" in n for n in p.notes)
    with pytest.raises(WeightsError):
        build_pipeline(sam_model=sam_path, refiner="is5net", device="cpu")
