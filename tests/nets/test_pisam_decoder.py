import pytest
import torch

from dis_annotator.engine.checkpoint import load_checkpoint, load_into
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.sam_embedding import encode
from dis_annotator.engine.sam_transforms import resize_longest_side
from dis_annotator.nets.pisam.decoder import PiSamDecoder
from dis_annotator.nets.pisam.frame import normalize_pad
from dis_annotator.nets.pisam.sam_decoder_ext import (
    SamDecoderExt,
    box_prompt_decode,
    sam_decoder_state,
)
from dis_annotator.training.pisam_tiny import build_tiny_sam


@pytest.fixture(scope="module")
def tiny():
    sam = build_tiny_sam(seed=0)
    torch.manual_seed(1)
    image = (torch.rand(200, 256, 3) * 255).to(torch.uint8).numpy()
    frame = normalize_pad(torch.from_numpy(resize_longest_side(image, 256))[None], 256)
    emb = encode(sam, image, capture_interm=True)
    return sam, frame, emb.features, emb.interm


@pytest.mark.parametrize("multimask", [False, True])
def test_extension_reproduces_sam_decoder_exactly(tiny, multimask):
    sam, _, features, _ = tiny
    boxes = torch.tensor([[20.0, 30.0, 180.0, 150.0], [5.0, 5.0, 60.0, 90.0]])
    points = (torch.tensor([[[50.0, 60.0]], [[10.0, 20.0]]]), torch.tensor([[1], [0]]))
    with torch.no_grad():
        sparse, dense = sam.prompt_encoder(points=points, boxes=boxes, masks=None)
        pe = sam.prompt_encoder.get_dense_pe()
        masks, iou = sam.mask_decoder(features, pe, sparse, dense, multimask)
    ext = SamDecoderExt(sam.mask_decoder)
    out = ext(features, pe, sparse, dense, multimask)
    assert torch.equal(out.masks, masks)
    assert torch.equal(out.iou_pred, iou)
    m = 3 if multimask else 1
    assert out.upscaled.shape == (2, 32, 64, 64)
    assert out.object_token.shape == (2, m, 32)
    # the object token really is what SAM dot-products with its feature
    recon = torch.einsum("bmc,bchw->bmhw", out.object_token, out.upscaled)
    torch.testing.assert_close(recon, masks, rtol=1e-4, atol=1e-4)
    assert all(not p.requires_grad for p in ext.parameters())


def test_sam_decoder_loads_from_official_checkpoint_layout(tiny, tmp_path):
    sam, *_ = tiny
    path = tmp_path / "sam_tiny.pth"
    torch.save(sam.state_dict(), path)  # official SAM checkpoints are bare state dicts
    sd = load_checkpoint(path)
    ext = SamDecoderExt(build_tiny_sam(seed=5).mask_decoder)
    load_into(ext.decoder, sam_decoder_state(sd), "SAM mask decoder")
    for k, v in sam.mask_decoder.state_dict().items():
        assert torch.equal(ext.decoder.state_dict()[k], v)
    bad = dict(sam_decoder_state(sd))
    bad.pop(next(iter(bad)))
    with pytest.raises(WeightsError, match="missing"):
        load_into(ext.decoder, bad, "SAM mask decoder")


def test_decoder_shapes_zero_init_interactor_and_stage_freezing(tiny):
    sam, frame, features, interm = tiny
    ext = SamDecoderExt(sam.mask_decoder)
    torch.manual_seed(0)
    dec = PiSamDecoder(vit_dim=interm.shape[-1])
    assert not any(k.startswith("decoder.") or "mask_decoder" in k for k in dec.state_dict())
    out = box_prompt_decode(sam, features, torch.tensor([[20.0, 30.0, 180.0, 150.0]]), ext)
    obj = dec.embed(out, features, interm)
    assert obj.feature.shape == (1, 32, 64, 64)
    assert obj.object_token.shape == (1, 32)
    assert obj.coarse_logits.shape == (1, 1, 64, 64)
    plain = dec.predict(obj, frame)
    assert plain.shape == (1, 1, 256, 256)
    coords = torch.tensor([[[100.5, 40.5], [30.5, 120.5]]])
    labels = torch.tensor([[1, 0]])
    assert torch.equal(dec.predict(obj, frame, coords, labels), plain)

    dec.set_stage(1)
    trainable = {n for n, p in dec.named_parameters() if p.requires_grad}
    assert trainable and not any(n.startswith("interactor.") for n in trainable)
    assert any(n.startswith("head.rgb_embed.") for n in trainable)
    dec.set_stage(2)
    trainable = {n for n, p in dec.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith("interactor.") for n in trainable)
    # stage 2 gradients reach the interactor (through the zero-initialised out conv)
    loss = dec.predict(obj, frame, coords, labels).mean()
    loss.backward()
    assert dec.interactor.out_conv.weight.grad.abs().sum() > 0
