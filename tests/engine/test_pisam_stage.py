import numpy as np
import pytest
import torch

from dis_annotator.engine import pisam_stage
from dis_annotator.engine.checkpoint import save_checkpoint
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.pisam_stage import PiSamCorrector
from dis_annotator.engine.sam_stage import SamCoarseStage
from dis_annotator.engine.stages import CoarseStage, CorrectStage
from dis_annotator.engine.types import Box, ImageData, MaskOutput, Point, Prompt
from dis_annotator.nets.pisam.decoder import PiSamDecoder
from dis_annotator.training.pisam_tiny import tiny_backbone


@pytest.fixture(scope="module")
def backbone():
    return tiny_backbone(seed=0)


@pytest.fixture(scope="module")
def image():
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 255, size=(100, 200, 3), dtype=np.uint8)
    return ImageData(arr)


def _decoder(seed=0):
    torch.manual_seed(seed)
    return PiSamDecoder(vit_dim=32)


def _install(tmp_path, monkeypatch, sam_model="tiny", dec=None):
    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(tmp_path))
    path = tmp_path / "pisam_tiny.pth"
    pisam_stage.save_pisam(
        path, dec or _decoder(), sam_model=sam_model, frame=256, stage=1, step=7,
        metrics={"iou": 0.5},
    )
    return path


def test_checkpoint_roundtrip_and_metadata(tmp_path):
    dec = _decoder(1)
    path = tmp_path / "p.pth"
    pisam_stage.save_pisam(path, dec, sam_model="vit_b", frame=1024, stage=2, step=42,
                           metrics={"iou": 0.9})
    loaded, config, meta = pisam_stage.load_pisam(path, sam_model="vit_b")
    assert config["sam_model"] == "vit_b" and config["vit_dim"] == 32 and config["frame"] == 1024
    assert meta["stage"] == 2 and meta["step"] == 42 and meta["metrics"] == {"iou": 0.9}
    for k, v in dec.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v)
    with pytest.raises(WeightsError, match="trained for SAM vit_b"):
        pisam_stage.load_pisam(path, sam_model="vit_h")


def test_broken_checkpoints_are_refused(tmp_path):
    path = tmp_path / "x.pth"
    save_checkpoint(path, "is5net", {}, {}, {})
    with pytest.raises(WeightsError, match="not a Pi-SAM checkpoint"):
        pisam_stage.load_pisam(path)
    sd = _decoder().state_dict()
    sd.pop("head.rgb_embed.0.weight")
    save_checkpoint(path, "pisam", sd, {"vit_dim": 32, "sam_model": "vit_b"}, {})
    with pytest.raises(WeightsError, match="missing"):
        pisam_stage.load_pisam(path)
    path.write_bytes(b"garbage")
    with pytest.raises(WeightsError):
        pisam_stage.load_pisam(path)


def test_load_default(tmp_path, monkeypatch, backbone):
    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(tmp_path))
    assert pisam_stage.load_default(backbone=backbone) is None
    assert pisam_stage.load_default(backbone=None) is None
    _install(tmp_path, monkeypatch, sam_model="vit_b")
    with pytest.raises(WeightsError, match="trained for SAM vit_b"):
        pisam_stage.load_default(backbone=backbone)
    _install(tmp_path, monkeypatch)
    stage = pisam_stage.load_default(backbone=backbone)
    assert isinstance(PiSamCorrector(stage), CorrectStage)
    assert isinstance(SamCoarseStage(backbone, box_path=stage), CoarseStage)
    assert stage.checkpoint_sha256 and len(stage.checkpoint_sha256) == 64
    with pytest.raises(TypeError):
        pisam_stage.load_default(backbone=backbone, device="cpu")  # explicit options only


def test_untrained_interactor_click_leaves_box_mask_unchanged(tmp_path, monkeypatch,
                                                              backbone, image):
    _install(tmp_path, monkeypatch)
    stage = pisam_stage.load_default(backbone=backbone)
    box = Box(30, 20, 150, 80)
    first = stage.predict_box(image, Prompt(box=box))
    assert first.mask.shape == (100, 200) and first.mask.dtype == bool
    assert first.prob is not None and first.prob_box is not None
    x0, y0, x1, y1 = first.prob_box.int_bounds()
    assert first.prob.shape == (y1 - y0, x1 - x0) and first.prob.dtype == np.float32
    assert not first.mask[:y0].any() and not first.mask[:, :x0].any()
    prompt = Prompt(box=box, points=(Point(60, 50, True), Point(140, 30, False)))
    second = stage.correct(image, prompt, first)
    np.testing.assert_array_equal(second.mask, first.mask)
    np.testing.assert_array_equal(second.prob, first.prob)
    assert second.state["pisam_box"] == box.as_tuple()
    assert second.report.settings["clicks_used"] == 2
    # without a box in the prompt, the box this stage used before is kept
    third = stage.correct(image, Prompt(points=prompt.points), second)
    np.testing.assert_array_equal(third.mask, first.mask)


def test_frame_to_image_mapping_keeps_x_as_column(tmp_path, monkeypatch, backbone, image):
    """A 200×100 (W×H) image fills 256×128 of the 256² frame: frame x ∈ [64,128),
    y ∈ [32,64) is image x ∈ [50,100), y ∈ [25,50)."""
    _install(tmp_path, monkeypatch)
    stage = pisam_stage.load_default(backbone=backbone)
    emb = backbone.embedding(image)
    geo = stage._geometry(emb)
    logits = torch.full((256, 256), -10.0)
    logits[32:64, 64:128] = 10.0
    mask, prob = stage._to_image(logits, Box(0, 0, 200, 100), geo, 100, 200)
    want = np.zeros((100, 200), bool)
    want[25:50, 50:100] = True
    # bilinear resampling may move the boundary by at most one pixel
    assert (mask ^ want).sum() <= 2 * (25 + 50) + 4
    assert mask[26:49, 51:99].all() and not mask[:24].any() and not mask[:, 101:].any()
    assert prob.shape == (100, 200)


def test_coarse_stage_box_path_uses_hr_decoder_for_boxes(tmp_path, monkeypatch, backbone, image):
    _install(tmp_path, monkeypatch)
    stage = pisam_stage.load_default(backbone=backbone)
    coarse = SamCoarseStage(backbone, box_path=stage)
    coarse.prepare(image)
    out = coarse.predict(image, Prompt(box=Box(30, 20, 150, 80)), None)
    assert isinstance(out, MaskOutput) and out.report.stage == "coarse"
    assert out.report.name == "pisam"
    assert coarse.backbone.model is backbone.model and stage.backbone is backbone


def test_point_only_prompts_go_to_sam_and_many_clicks_keep_the_latest(
    tmp_path, monkeypatch, backbone, image
):
    _install(tmp_path, monkeypatch)
    stage = pisam_stage.load_default(backbone=backbone)
    coarse = SamCoarseStage(backbone, box_path=stage)
    out = coarse.predict(image, Prompt(points=(Point(100, 50, True),)), None)
    assert out.report.name == backbone.name and "sam_logits" in out.state
    clicks = tuple(Point(10 + 10 * i, 40, i % 2 == 0) for i in range(13))
    res = stage.correct(image, Prompt(box=Box(5, 5, 190, 95), points=clicks), out)
    assert res.report.settings == {"clicks_used": 10, "clicks_total": 13}
