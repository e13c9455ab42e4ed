"""Every combination of installed stages through the factory, seen only through the
pipeline's public surface (stage_names, learned, device, prefetches, prefetch, corrects,
run, notes) — never through the stages themselves (docs/adr/0090)."""

from __future__ import annotations

import numpy as np
import pytest

from dis_annotator.engine import pisam_stage
from dis_annotator.engine.checkpoint import save_checkpoint
from dis_annotator.engine.factory import build_pipeline
from dis_annotator.engine.types import Box, ImageData, Point, Prompt, Request
from dis_annotator.nets.isnet import ISNetDIS
from dis_annotator.nets.pisam.decoder import PiSamDecoder
from dis_annotator.training.pisam_tiny import TINY_SAM, build_tiny_sam

CLASSICAL = {"coarse": "grabcut", "correct": "local-grabcut", "refine": "guided-filter"}
# installed stages → (stage names, every stage learned, SAM embeddings prefetched)
COMBINATIONS = {
    "none": (CLASSICAL, False, False),
    "sam": ({"coarse": "sam-tiny", "correct": "sam-tiny (re-prompt)", "refine": "guided-filter"},
            False, True),
    "sam+is5net": ({"coarse": "sam-tiny", "correct": "sam-tiny (re-prompt)", "refine": "is5net"},
                   True, True),
    "sam+pisam": ({"coarse": "sam-tiny+pisam", "correct": "pisam", "refine": "guided-filter"},
                  False, True),
}


def _install(folder, what: str) -> str | None:
    """Tiny random weights for the stages in ``what``; returns the SAM checkpoint path."""
    import torch

    torch.manual_seed(0)
    sam_path = None
    if "sam" in what.split("+"):
        sam_path = folder / "sam_tiny.pth"
        save_checkpoint(sam_path, "sam", build_tiny_sam(0).state_dict(), config=TINY_SAM.to_dict())
    if "pisam" in what.split("+"):
        pisam_stage.save_pisam(folder / "pisam_tiny.pth", PiSamDecoder(vit_dim=32),
                               sam_model="tiny", frame=256, stage=2, step=1)
    if "is5net" in what.split("+"):
        net = ISNetDIS(in_ch=5, width=0.125)
        save_checkpoint(folder / "is5net.pth", "is5net", net.state_dict(),
                        {"in_ch": 5, "width": 0.125, "size": 64})
    return str(sam_path) if sam_path else None


@pytest.mark.parametrize("what", list(COMBINATIONS))
def test_installed_stages_compose_through_the_factory(what, tmp_path, monkeypatch):
    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(tmp_path))
    sam_path = _install(tmp_path, what)
    names, learned, prefetches = COMBINATIONS[what]
    p = build_pipeline(device="cpu", sam_model=sam_path)
    assert p.stage_names == names
    assert p.learned is learned
    assert p.device == "cpu" and p.prefetches is prefetches
    assert ("classical" in p.summary()) is not learned
    said = {
        "coarse": any("coarse stage is classical" in n for n in p.notes),
        "refine": any("refine stage is classical" in n for n in p.notes),
        "correct": any("clicks are handled by" in n for n in p.notes),
    }
    assert said == {
        "coarse": names["coarse"] == "grabcut",
        "refine": names["refine"] == "guided-filter",
        "correct": names["correct"] != "pisam",
    }

    image = ImageData(np.random.default_rng(1).integers(0, 255, (120, 160, 3), dtype=np.uint8))
    other = ImageData(np.random.default_rng(2).integers(0, 255, (120, 160, 3), dtype=np.uint8))
    assert p.prefetch(other) is prefetches
    assert p.prefetch(image, lambda: False) is False  # a prefetch no longer wanted stops

    box = Box(20, 20, 120, 100)
    first = p.run(Request(image, Prompt(box=box), "obj", 1))
    assert [r.name for r in first.reports] == [
        "pisam" if names["coarse"].endswith("+pisam") else names["coarse"], names["refine"]
    ]
    click = Request(image, Prompt(box=box, points=(Point(60, 60, False),)), "obj", 2,
                    previous=first.output)
    corrector_stage = names["correct"] in ("pisam", "local-grabcut")
    assert p.corrects(click) is corrector_stage
    assert not p.corrects(Request(image, Prompt(box=box), "obj", 3, previous=first.output))
    second = p.run(click)
    if names["correct"] == "local-grabcut":  # classical corrections are final: no refiner
        assert [r.stage for r in second.reports] == ["correct"]
    else:
        want_first = "correct" if p.corrects(click) else "coarse"
        assert [r.stage for r in second.reports] == [want_first, "refine"]
    assert second.mask.shape == (120, 160) and second.provenance["learned"] is learned


def test_classical_engine_ignores_installed_weights_and_options_are_explicit(tmp_path, monkeypatch):
    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(tmp_path))
    sam_path = _install(tmp_path, "sam+pisam+is5net")
    p = build_pipeline(engine="classical", refiner="classical", sam_model=sam_path)
    assert p.stage_names == CLASSICAL and not p.learned and not p.prefetches
    assert p.device == "cpu"
    boxes_by_sam = build_pipeline(device="cpu", sam_model=sam_path, pisam_boxes=False)
    assert boxes_by_sam.stage_names == {"coarse": "sam-tiny", "correct": "pisam", "refine": "is5net"}
    assert boxes_by_sam.learned
    with pytest.raises(TypeError):
        build_pipeline(crop_to_bx=True)  # a misspelt option is an error, not ignored
