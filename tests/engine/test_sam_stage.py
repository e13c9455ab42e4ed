"""SamCoarseStage against SamPredictor (or the same model calls), with a tiny random SAM."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dis_annotator.engine import sam_stage as sam_stage_mod
from dis_annotator.engine.sam_backbone import CropPolicy
from dis_annotator.engine.sam_embedding import first_global_block
from dis_annotator.engine.stages import CoarseStage
from dis_annotator.engine.types import Box, ImageData, Point, Prompt, Superseded
from tests.engine.sam_tiny import make_image, reference_predict, sam_stage, tiny_sam


@pytest.fixture(scope="module")
def sam():
    return tiny_sam()


@pytest.fixture(scope="module")
def shared(sam):
    """One stage (and cache) for tests that do not count encodes."""
    return sam_stage(sam)


@pytest.fixture()
def stage(sam):
    return sam_stage(sam)


@pytest.fixture(scope="module")
def image():
    return ImageData(make_image(240, 320))


def _check_equal(out, image, logits, iou, low, best, prompt):
    assert out.score == pytest.approx(float(iou[best]), abs=0)
    np.testing.assert_array_equal(out.mask, logits[best] > 0)
    np.testing.assert_array_equal(out.state["sam_logits"], low[best : best + 1])
    x0, y0, x1, y1 = (int(v) for v in out.prob_box.as_tuple())
    expect = torch.sigmoid(torch.as_tensor(logits[best][y0:y1, x0:x1])).numpy()
    # sigmoid's vectorised and scalar code paths may differ in the last bit
    np.testing.assert_allclose(out.prob, expect, rtol=0, atol=1e-6)
    assert out.prob.dtype == np.float32
    if prompt.box is not None:
        b = out.prob_box
        assert b.x0 <= prompt.box.x0 and b.x1 >= prompt.box.x1
        assert (b.x1 - b.x0) * (b.y1 - b.y0) < image.width * image.height  # an ROI


def test_is_a_coarse_stage(stage):
    assert isinstance(stage, CoarseStage)
    assert stage.name == "sam-vit_b" and stage.learned
    assert stage.backbone.device.type == "cpu" and stage.backbone.model_type == "vit_b"


def test_box_alone_equals_predictor_multimask_best_iou(shared, sam, image):
    prompt = Prompt(box=Box(60, 40, 250, 200))
    out = shared.predict(image, prompt, None)
    logits, iou, low = reference_predict(sam, image.array, box=np.array(prompt.box.as_tuple()))
    assert logits.shape[0] == 3  # multimask
    best = int(np.argmax(iou))
    _check_equal(out, image, logits, iou, low, best, prompt)
    assert out.mask.any() and not out.mask.all()  # a real, non-trivial mask
    assert out.report.learned and out.report.name == "sam-vit_b"
    assert out.report.settings["multimask"] is True
    assert out.state["sam_logits"].shape == (1, 256, 256)
    assert out.state["sam_logits"].dtype == np.float32


def test_clicks_feed_previous_logits_single_mask(shared, sam, image):
    box = Box(60, 40, 250, 200)
    first = shared.predict(image, Prompt(box=box), None)
    prompt = Prompt(box=box, points=(Point(100, 90, True), Point(230, 180, False)))
    out = shared.predict(image, prompt, first)
    assert out.report.settings == {**out.report.settings, "previous_logits": True, "multimask": False}
    pts = np.array([[100, 90], [230, 180]], dtype=float)
    labels = np.array([1, 0])
    logits, iou, low = reference_predict(
        sam, image.array, box=np.array(box.as_tuple()), points=pts, labels=labels,
        mask_input=first.state["sam_logits"], multimask=False,
    )
    _check_equal(out, image, logits, iou, low, 0, prompt)
    # The previous logits matter: without them the answer differs.
    l2, _, _ = reference_predict(
        sam, image.array, box=np.array(box.as_tuple()), points=pts, labels=labels,
        multimask=False,
    )
    assert not np.allclose(l2[0], logits[0])
    # A first single click (no box, no history) is ambiguous: multimask, best IoU.
    one = shared.predict(image, Prompt(points=(Point(150, 120, True),)), None)
    assert one.report.settings["multimask"] and not one.report.settings["previous_logits"]


def test_previous_from_other_model_is_ignored(shared, image):
    first = shared.predict(image, Prompt(box=Box(60, 40, 250, 200)), None)
    first.state["sam_model"] = "sam-vit_h"
    out = shared.predict(image, Prompt(box=Box(60, 40, 250, 200), points=(Point(99, 99),)), first)
    assert out.report.settings["previous_logits"] is False


def test_embedding_cache_identity_and_prepare(stage, image):
    stage.prepare(image)
    stage.prepare(image)
    assert stage.backbone.encodes == 1
    emb = stage.backbone.embedding(image)
    assert stage.backbone.embedding(image) is emb
    assert emb.features.shape == (1, 64, 64, 64) and emb.features.dtype == torch.float32
    assert emb.original_size == (240, 320) and emb.input_size == (768, 1024)
    assert emb.offset == (0, 0) and emb.region == (0, 0, 320, 240)
    # Same pixels, new object (e.g. the file was renamed): still a hit.
    assert stage.backbone.embedding(ImageData(image.array.copy())) is emb
    other = ImageData(make_image(240, 320, seed=1))
    assert stage.backbone.prefetch(other) and stage.backbone.encodes == 2
    stage.predict(other, Prompt(box=Box(10, 10, 100, 100)), None)
    assert stage.backbone.encodes == 2  # predict used the prefetched embedding


def test_interm_is_first_global_block_output(shared, sam, image):
    emb = shared.backbone.embedding(image)
    enc = sam.image_encoder
    gi = first_global_block(enc)
    assert gi == 1
    from dis_annotator.engine.sam_transforms import resize_longest_side

    x = torch.as_tensor(resize_longest_side(image.array, 1024)).permute(2, 0, 1)[None]
    with torch.no_grad():
        h = enc.patch_embed(sam.preprocess(x.contiguous())) + enc.pos_embed
        for blk in enc.blocks[: gi + 1]:
            h = blk(h)
    assert emb.interm is not None and emb.interm.shape == (1, 64, 64, 32)
    torch.testing.assert_close(emb.interm, h, rtol=0, atol=0)


def test_superseded_encode_is_abandoned_between_blocks(stage, image):
    calls = {"n": 0}

    def is_current() -> bool:
        calls["n"] += 1
        return calls["n"] < 3  # true before the encode and before block 0, false at block 1

    with pytest.raises(Superseded):
        stage.backbone.embedding(image, is_current)
    assert calls["n"] == 3 and not stage.backbone.is_cached(image) and stage.backbone.encodes == 0
    stage.prepare(image, lambda: False)  # prepare returns quietly
    assert not stage.backbone.is_cached(image)


@pytest.mark.parametrize(
    "prompt",
    [Prompt(box=Box(60, 40, 250, 200)), Prompt(points=(Point(150, 100), Point(40, 200, False)))],
    ids=["box", "clicks"],
)
@pytest.mark.parametrize("path", ["window", "opencv"])
def test_large_image_postprocess_matches_full_frame(shared, image, monkeypatch, prompt, path):
    full = shared.predict(image, prompt, None)
    monkeypatch.setattr(sam_stage_mod, "FULL_FRAME_MAX_PIXELS", 0)
    monkeypatch.setattr(sam_stage_mod, "LARGE_WINDOW_FRACTION", 2.0 if path == "window" else 0.0)
    roi = shared.predict(image, prompt, None)
    assert full.report.settings == roi.report.settings
    assert roi.prob_box == full.prob_box
    tol = 2e-6 if path == "window" else 2e-4
    np.testing.assert_allclose(roi.prob, full.prob, atol=tol)
    diff = roi.mask != full.mask
    if diff.any():  # only where the logit is zero to float precision
        x0, y0, x1, y1 = (int(v) for v in full.prob_box.as_tuple())
        assert np.all(np.abs(full.prob[diff[y0:y1, x0:x1]] - 0.5) < tol)
    assert diff.sum() <= 5


def test_crop_to_box_encodes_the_region(sam):
    big = ImageData(make_image(1200, 2100, seed=3))
    stage = sam_stage(sam, crop=CropPolicy(enabled=True))
    stage.prepare(big)  # large image in crop mode: encoded lazily per region
    assert stage.backbone.encodes == 0
    box = Box(900, 500, 1100, 640)
    out = stage.predict(big, Prompt(box=box), None)
    region = tuple(out.state["sam_region"])
    x0, y0, x1, y1 = region
    assert x0 <= 900 and x1 >= 1100 and (x1 - x0) < 2100 / 2
    assert all(v % 64 == 0 or v in (2100, 1200) for v in region)
    emb = stage.backbone.embedding(big, region=region)
    assert emb.offset == (x0, y0) and emb.original_size == (y1 - y0, x1 - x0)
    assert stage.backbone.encodes == 1
    # the mask never leaves the encoded region; prob covers the ROI inside it
    outside = out.mask.copy()
    outside[y0:y1, x0:x1] = False
    assert not outside.any()
    pb = out.prob_box
    assert x0 <= pb.x0 and pb.x1 <= x1 and out.prob.shape == (pb.y1 - pb.y0, pb.x1 - pb.x0)
    # mapping into the input frame: region corners → 0 and the resized size
    corners = emb.to_input_frame(np.array([[x0, y0], [x1, y1]], dtype=float))
    np.testing.assert_allclose(corners[0], [0, 0])
    np.testing.assert_allclose(corners[1], [emb.input_size[1], emb.input_size[0]])
    # the crop equals encoding the cropped pixels as an image of their own
    crop_img = ImageData(np.ascontiguousarray(big.array[y0:y1, x0:x1]))
    plain = sam_stage(sam)
    local = Box(box.x0 - x0, box.y0 - y0, box.x1 - x0, box.y1 - y0)
    ref = plain.predict(crop_img, Prompt(box=local), None)
    np.testing.assert_array_equal(out.state["sam_logits"], ref.state["sam_logits"])
    # a click inside the region keeps the frame and uses the previous logits
    nxt = stage.predict(big, Prompt(box=box, points=(Point(1000, 560),)), out)
    assert tuple(nxt.state["sam_region"]) == region and nxt.report.settings["previous_logits"]
    assert stage.backbone.encodes == 1
    # a small box on a large image without crop mode: the whole image is encoded
    assert sam_stage(sam).backbone.crop_region(big, Prompt(box=box)) is None


def test_predict_rejects_bad_prompt(shared, image):
    with pytest.raises(ValueError):
        shared.predict(image, Prompt(points=(Point(999, 5),)), None)


def test_cpu_bf16_encoder_keeps_float32_outputs(image):
    # bf16 is emulated (slow) on AVX2 CPUs: use a 256-px SAM (16×16 grid) for this check.
    from dataclasses import replace

    from dis_annotator.engine.sam_model import build_sam
    from tests.engine.sam_tiny import TINY

    torch.manual_seed(0)
    small = build_sam(replace(TINY, image_size=256))
    fp32 = sam_stage(small).backbone.embedding(image)
    bf16_stage = sam_stage(small, cpu_bf16=True)
    emb = bf16_stage.backbone.embedding(image)
    assert emb.features.shape == (1, 64, 16, 16) and emb.input_size == (192, 256)
    assert emb.features.dtype == torch.float32 and emb.interm.dtype == torch.float32
    assert not torch.equal(emb.features, fp32.features)  # autocast really ran
    rel = (emb.features - fp32.features).norm() / fp32.features.norm()
    assert rel < 0.05
    out = bf16_stage.predict(image, Prompt(box=Box(60, 40, 250, 200)), None)
    assert out.report.settings["encoder_dtype"] == "bfloat16"
    assert out.state["sam_logits"].shape == (1, 64, 64)  # 4× the embedding grid
    assert out.state["sam_logits"].dtype == np.float32 and out.mask.shape == (240, 320)
    assert next(small.mask_decoder.parameters()).dtype == torch.float32
