"""MobileSAM (vit_t) through the SAM coarse stage: SamPredictor parity, cache, prefetch,
crop-to-box, clicks, checkpoints, Pi-SAM fallback and an IS5Net refiner on top."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dis_annotator.engine import pisam_stage
from dis_annotator.engine.checkpoint import save_checkpoint
from dis_annotator.engine.pipeline import Pipeline
from dis_annotator.engine.sam_backbone import CropPolicy, SamBackbone, load_backbone
from dis_annotator.engine.sam_stage import NO_PISAM, SamCoarseStage
from dis_annotator.engine.types import Box, ImageData, Point, Prompt, Request, Superseded
from dis_annotator.nets.sam_import import MaskDecoder, PromptEncoder, Sam, TwoWayTransformer
from dis_annotator.nets.tinyvit.encoder import TinyViT
from tests.engine.sam_tiny import TINY_T, make_image, reference_predict, sam_stage, tiny_sam_t


@pytest.fixture(scope="module")
def sam():
    return tiny_sam_t()


@pytest.fixture(scope="module")
def reference(sam):
    """segment_anything's Sam assembled here from its classes and TinyViT, not through
    ``build_sam``, carrying the same weights."""
    dim = TINY_T.prompt_embed_dim
    ref = Sam(
        image_encoder=TinyViT(TINY_T.tiny_vit, img_size=1024, out_chans=dim),
        prompt_encoder=PromptEncoder(
            embed_dim=dim, image_embedding_size=(64, 64), input_image_size=(1024, 1024),
            mask_in_chans=16,
        ),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3,
            transformer=TwoWayTransformer(depth=2, embedding_dim=dim, mlp_dim=256, num_heads=8),
            transformer_dim=dim, iou_head_depth=3, iou_head_hidden_dim=256,
        ),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375],
    )
    ref.load_state_dict(sam.state_dict(), strict=True)
    return ref.eval()


@pytest.fixture(scope="module")
def shared(sam):
    return sam_stage(sam, "vit_t")


@pytest.fixture(scope="module")
def image():
    return ImageData(make_image(240, 320))


def _check_equal(out, logits, iou, low, best) -> None:
    assert out.score == pytest.approx(float(iou[best]), abs=0)
    np.testing.assert_array_equal(out.mask, logits[best] > 0)
    np.testing.assert_array_equal(out.state["sam_logits"], low[best : best + 1])
    x0, y0, x1, y1 = (int(v) for v in out.prob_box.as_tuple())
    expect = torch.sigmoid(torch.as_tensor(logits[best][y0:y1, x0:x1])).numpy()
    np.testing.assert_allclose(out.prob, expect, rtol=0, atol=1e-6)


def test_box_and_clicks_equal_the_predictor_path(shared, reference, image):
    box = Box(60, 40, 250, 200)
    first = shared.predict(image, Prompt(box=box), None)
    logits, iou, low = reference_predict(reference, image.array, box=np.array(box.as_tuple()))
    best = int(np.argmax(iou))
    _check_equal(first, logits, iou, low, best)
    assert first.mask.any() and not first.mask.all()  # a real, non-trivial mask
    assert first.report.name == "sam-vit_t" and "MobileSAM" in first.report.model
    pts = np.array([[100, 90], [230, 180]], dtype=float)
    labels = np.array([1, 0])
    prompt = Prompt(box=box, points=(Point(100, 90, True), Point(230, 180, False)))
    nxt = shared.predict(image, prompt, first)
    assert nxt.report.settings["previous_logits"] and not nxt.report.settings["multimask"]
    assert nxt.report.settings["clicks"] == NO_PISAM  # provenance says how clicks ran
    logits, iou, low = reference_predict(
        reference, image.array, box=np.array(box.as_tuple()), points=pts, labels=labels,
        mask_input=first.state["sam_logits"], multimask=False,
    )
    _check_equal(nxt, logits, iou, low, 0)
    assert not np.array_equal(nxt.mask, first.mask)


def test_encoder_output_and_embedding_cache(sam, image):
    stage = sam_stage(sam, "vit_t")
    bb = stage.backbone
    assert not bb.has_interm and not bb.capture_interm
    assert bb.prefetch(image) and bb.encodes == 1
    emb = bb.embedding(image)
    assert emb.features.shape == (1, 64, 64, 64) and emb.interm is None
    assert emb.input_size == (768, 1024)
    box = Box(60, 40, 250, 200)
    out = stage.predict(image, Prompt(box=box), None)
    stage.predict(image, Prompt(box=box, points=(Point(120, 100),)), out)
    # Pi-SAM asks for the early ViT feature; vit_t has none, and that must not re-encode.
    assert bb.embedding(image, need_interm=True) is emb
    assert bb.encodes == 1
    # Asked for explicitly (as a Pi-SAM trainer would), still no feature and no capture.
    assert not SamBackbone(sam, "vit_t", "cpu", capture_interm=True).capture_interm


def test_superseded_encode_stops_between_tinyvit_blocks(sam, image):
    bb = SamBackbone(sam, "vit_t", "cpu")
    calls = {"n": 0}

    def is_current() -> bool:
        calls["n"] += 1
        return calls["n"] < 4  # before the encode, before blocks 0 and 1; then stop

    with pytest.raises(Superseded):
        bb.embedding(image, is_current)
    assert calls["n"] == 4 and not bb.is_cached(image) and bb.encodes == 0


def test_crop_to_box_with_vit_t(sam):
    big = ImageData(make_image(1200, 2100, seed=3))
    stage = sam_stage(sam, "vit_t", crop=CropPolicy(enabled=True))
    stage.prepare(big)
    assert stage.backbone.encodes == 0
    box = Box(900, 500, 1100, 640)
    out = stage.predict(big, Prompt(box=box), None)
    x0, y0, x1, y1 = region = tuple(out.state["sam_region"])
    assert x0 <= 900 and x1 >= 1100 and (x1 - x0) < 2100 / 2
    crop = ImageData(np.ascontiguousarray(big.array[y0:y1, x0:x1]))
    local = Box(box.x0 - x0, box.y0 - y0, box.x1 - x0, box.y1 - y0)
    ref = sam_stage(sam, "vit_t").predict(crop, Prompt(box=local), None)
    np.testing.assert_array_equal(out.state["sam_logits"], ref.state["sam_logits"])
    nxt = stage.predict(big, Prompt(box=box, points=(Point(1000, 560),)), out)
    assert tuple(nxt.state["sam_region"]) == region and nxt.report.settings["previous_logits"]
    assert stage.backbone.encodes == 1


def test_project_checkpoint_round_trip(sam, tmp_path, image):
    path = tmp_path / "tiny_vit_t.pth"
    save_checkpoint(path, "sam", sam.state_dict(), config=TINY_T.to_dict())
    bb = load_backbone(path, device="cpu")
    assert bb.model_type == "vit_t" and bb.name == "sam-vit_t" and not bb.has_interm
    stage = SamCoarseStage(bb)
    assert stage.name == "sam-vit_t"
    a = stage.predict(image, Prompt(box=Box(60, 40, 250, 200)), None)
    b = sam_stage(sam, "vit_t").predict(image, Prompt(box=Box(60, 40, 250, 200)), None)
    np.testing.assert_array_equal(a.state["sam_logits"], b.state["sam_logits"])


def test_pisam_is_not_offered_for_vit_t(shared, sam, monkeypatch, tmp_path):
    import argparse

    from dis_annotator.cli.train import _load_sam
    from dis_annotator.engine.errors import WeightsError
    from dis_annotator.nets.pisam.decoder import PiSamDecoder

    # Even a file named like Pi-SAM weights for vit_t is not picked up.
    (tmp_path / "pisam_vit_t.pth").write_bytes(b"x")
    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(tmp_path))
    assert pisam_stage.load_default(backbone=shared.backbone) is None
    # … nor can Pi-SAM be put on such a backbone by hand.
    with pytest.raises(ValueError, match="intermediate features"):
        pisam_stage.PiSam(shared.backbone, PiSamDecoder(vit_dim=32))
    # … and training one on MobileSAM is refused with the reason.
    path = tmp_path / "t.pth"
    save_checkpoint(path, "sam", sam.state_dict(), config=TINY_T.to_dict())
    with pytest.raises(WeightsError, match="ViT-B's intermediate features"):
        _load_sam(argparse.Namespace(tiny_sam=False, sam=str(path)))


def test_pipeline_clicks_and_is5net_refiner_on_vit_t(shared, image):
    from dis_annotator.engine.is5net_stage import IS5NetStage
    from dis_annotator.nets.isnet import ISNetDIS

    torch.manual_seed(0)
    refiner = IS5NetStage(ISNetDIS(in_ch=5, width=0.125).eval(), size=64, model="is5net")
    pipe = Pipeline(coarse=shared, refiner=refiner, backbone=shared.backbone)
    assert [r["name"] for r in pipe.describe()] == ["sam-vit_t", "sam-vit_t (re-prompt)", "is5net"]
    box = Box(60, 40, 250, 200)
    first = pipe.run(Request(image, Prompt(box=box)))
    assert [r.stage for r in first.reports] == ["coarse", "refine"]
    assert first.mask.shape == (240, 320)
    click = pipe.run(Request(image, Prompt(box=box, points=(Point(120, 100),)), previous=first.output))
    coarse = click.provenance["stages"][0]
    assert coarse["name"] == "sam-vit_t" and coarse["settings"]["previous_logits"]
    assert coarse["settings"]["clicks"] == NO_PISAM


def test_real_sam_predictor_with_tinyvit(tmp_path):
    """Where torchvision works (a stand-in here, in a subprocess), segment_anything's own
    SamPredictor driving the vit_t model gives what our stage gives."""
    from tests.engine.test_sam_import import make_torchvision, run_py

    code = """
    import numpy as np
    from dis_annotator.nets import sam_import
    assert sam_import.HAS_TORCHVISION is True
    from dis_annotator.engine.types import Box, ImageData, Point, Prompt
    from tests.engine.sam_tiny import make_image, sam_stage, tiny_sam_t

    sam = tiny_sam_t()
    img = make_image(200, 260, seed=5)
    stage = sam_stage(sam, "vit_t")
    image = ImageData(img)
    pred = sam_import.sam_predictor_class()(sam)
    pred.set_image(img)
    assert np.array_equal(pred.features.numpy(), stage.backbone.embedding(image).features.numpy())
    box = np.array([40.0, 30.0, 200.0, 170.0])
    logits, iou, low = pred.predict(box=box, multimask_output=True, return_logits=True)
    out = stage.predict(image, Prompt(box=Box(*box)), None)
    best = int(np.argmax(iou))
    assert np.array_equal(out.mask, logits[best] > 0) and out.mask.any()
    assert np.array_equal(out.state["sam_logits"], low[best:best + 1])
    pts = np.array([[100.0, 90.0], [60.0, 150.0]])
    lab = np.array([1, 0])
    logits2, iou2, low2 = pred.predict(point_coords=pts, point_labels=lab, box=box,
        mask_input=out.state["sam_logits"], multimask_output=False, return_logits=True)
    out2 = stage.predict(image, Prompt(box=Box(*box), points=(Point(100, 90, True),
        Point(60, 150, False))), out)
    assert np.array_equal(out2.mask, logits2[0] > 0)
    assert np.array_equal(out2.state["sam_logits"], low2)
    print("OK")
    """
    res = run_py(code, make_torchvision(tmp_path))
    assert res.returncode == 0 and "OK" in res.stdout, res.stderr[-3000:]


def test_factory_never_puts_pisam_on_vit_t(sam, tmp_path, monkeypatch):
    from dis_annotator.engine.errors import WeightsError
    from dis_annotator.engine.factory import build_pipeline
    from dis_annotator.nets.pisam.decoder import PiSamDecoder

    monkeypatch.setenv("DIS_ANNOTATOR_MODELS", str(tmp_path))
    path = tmp_path / "t.pth"
    save_checkpoint(path, "sam", sam.state_dict(), config=TINY_T.to_dict())
    # Pi-SAM weights that would otherwise be picked up for this SAM type
    pisam_stage.save_pisam(tmp_path / "pisam_vit_t.pth", PiSamDecoder(vit_dim=32),
                           sam_model="vit_t", frame=1024, stage=2, step=1)
    pipe = build_pipeline(device="cpu", sam_model=str(path))
    assert pipe.stage_names["coarse"] == "sam-vit_t" and pipe.stage_names["correct"] == "sam-vit_t (re-prompt)"
    assert pipe.corrector is None and pipe.prefetches
    assert any("Pi-SAM needs SAM ViT-B's intermediate features" in n for n in pipe.notes)
    with pytest.raises(WeightsError, match="intermediate features"):
        build_pipeline(device="cpu", sam_model=str(path), corrector="pisam")
