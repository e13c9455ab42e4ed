"""IS5Net refine stage: ROI handling, provenance, checkpoint formats, weight discovery."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dis_annotator.engine import is5net_stage as st
from dis_annotator.engine.checkpoint import save_checkpoint
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.stages import RefineStage
from dis_annotator.engine.types import Box, ImageData, MaskOutput, Prompt
from dis_annotator.nets.gt_encoder import ISNetGTEncoder
from dis_annotator.nets.isnet import ISNetDIS

WIDTH = 0.125


@pytest.fixture(scope="module")
def net() -> ISNetDIS:
    torch.manual_seed(0)
    return ISNetDIS(in_ch=5, width=WIDTH).eval()


def _scene() -> tuple[ImageData, MaskOutput]:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (90, 120, 3), dtype=np.uint8)
    mask = np.zeros((90, 120), bool)
    mask[30:60, 40:80] = True
    mask[0:5, 0:5] = True  # far outside the prompt box: must survive (ADR 0030)
    return ImageData(img), MaskOutput(mask=mask, score=0.9, state={"logits": "opaque"})


def test_build_input_channels() -> None:
    rgb = np.full((10, 20, 3), 255, np.uint8)
    coarse = np.zeros((10, 20), np.float32)
    coarse[:, :10] = 1.0
    x = st.build_input(rgb, coarse, (5, 0, 15, 10), 16)
    assert x.shape == (5, 16, 16) and x.dtype == np.float32
    assert np.allclose(x[:3], 0.5)
    assert set(np.unique(x[4])) == {0.0, 1.0}
    assert x[4][:, 4:12].all() and not x[4][:, :4].any() and not x[4][:, 12:].any()
    assert x[3][:, :7].min() == 1.0 and x[3][:, 9:].max() == 0.0


def test_refine_roi_output_and_report(net: ISNetDIS) -> None:
    stage = st.IS5NetStage(net, size=64, model="is5net", checkpoint_sha256="abc")
    assert isinstance(stage, RefineStage)
    image, coarse = _scene()
    prompt = Prompt(box=Box(40, 30, 80, 60))
    out = stage.refine(image, coarse, prompt)
    assert out.mask.shape == (90, 120) and out.mask.dtype == bool
    x0, y0, x1, y1 = stage.roi_for(prompt.box, 120, 90)
    assert (x0, y0, x1, y1) == (36, 27, 84, 63)
    assert out.prob is not None and out.prob.shape == (y1 - y0, x1 - x0)
    assert out.prob_box == Box(x0, y0, x1, y1)
    assert np.array_equal(out.mask[y0:y1, x0:x1], out.prob >= 0.5)
    outside = np.ones((90, 120), bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(out.mask[outside], coarse.mask[outside])
    assert out.state == {"logits": "opaque"} and out.state is not coarse.state
    r = out.report
    assert r.stage == "refine" and r.learned and r.model == "is5net"
    assert r.checkpoint_sha256 == "abc" and r.device == "cpu" and r.ms > 0
    assert r.settings["size"] == 64 and r.settings["roi"] == [36, 27, 84, 63]


def test_refine_without_box_uses_coarse_box_and_empty_passes_through(net: ISNetDIS) -> None:
    stage = st.IS5NetStage(net, size=32)
    image, coarse = _scene()
    out = stage.refine(image, coarse, Prompt(points=()))
    assert out.report.settings["roi"] == [0, 0, 88, 66]
    empty = MaskOutput(mask=np.zeros((90, 120), bool))
    out = stage.refine(image, empty, Prompt())
    assert not out.mask.any() and out.prob is None


def test_coarse_soft_map_prefers_prob_over_prob_box() -> None:
    mask = np.zeros((20, 20), bool)
    mask[5:15, 5:15] = True
    prob = np.full((5, 5), 0.25, np.float32)  # stored at half the box's resolution
    coarse = MaskOutput(mask=mask, prob=prob, prob_box=Box(0, 0, 10, 10))
    soft = st.coarse_soft_map(coarse, (0, 0, 20, 20))
    assert np.allclose(soft[:10, :10], 0.25)
    assert soft[12, 12] == 1.0 and soft[17, 17] == 0.0


def test_thresholds() -> None:
    p = np.array([[0.1, 0.2, 0.3, 0.45]], np.float32)
    assert not st.binarize(p, "0.5").any()
    assert st.binarize(p, "otsu").tolist() == [[False, False, True, True]]


def test_loads_our_checkpoint_and_bare_state_dict(tmp_path, net: ISNetDIS) -> None:
    ours = tmp_path / "ours.pth"
    save_checkpoint(ours, "is5net", net.state_dict(), {"in_ch": 5, "width": WIDTH, "size": 48})
    stage = st.load_stage(ours, device="cpu")
    assert stage.size == 48 and stage.net.width == WIDTH
    assert len(stage.checkpoint_sha256) == 64
    for k, v in net.state_dict().items():
        assert torch.equal(stage.net.state_dict()[k], v)
    # A bare state dict (the official DIS-SAM format) is taken as the full-width net.
    bare = tmp_path / "bare.pth"
    torch.save(net.state_dict(), bare)
    with pytest.raises(WeightsError, match="wrong shapes"):
        st.load_stage(bare)


def test_refuses_wrong_checkpoints(tmp_path) -> None:
    rgb = tmp_path / "isnet3.pth"
    torch.save(ISNetDIS(in_ch=3, width=WIDTH).state_dict(), rgb)
    with pytest.raises(WeightsError, match="5-channel"):
        st.load_stage(rgb)
    enc = tmp_path / "enc.pth"
    save_checkpoint(enc, "gt_encoder", ISNetGTEncoder(width=WIDTH).state_dict(), {"width": WIDTH})
    with pytest.raises(WeightsError, match="not an IS5Net"):
        st.load_stage(enc)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError):
        st.load_stage(junk)


def test_load_default_finds_weights_in_models_dir(tmp_path, monkeypatch, net: ISNetDIS) -> None:
    monkeypatch.setattr(st, "REPO_MODELS", tmp_path / "none")
    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(tmp_path))
    if st.find_weights() is not None and not str(st.find_weights()[1]).startswith(str(tmp_path)):
        pytest.skip("a weights registry points elsewhere on this machine")
    assert st.load_default() is None
    save_checkpoint(tmp_path / "is5net.pth", "is5net", net.state_dict(), {"width": WIDTH, "size": 32})
    stage = st.load_default(device="cpu")
    assert stage is not None and stage.model == "is5net" and stage.size == 32
