"""TinyViT (MobileSAM's image encoder): official checkpoint layout, window attention, shapes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from dis_annotator.engine.checkpoint import load_into
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.sam_model import PRESETS, SamConfig, build_sam, infer_config, load_sam
from dis_annotator.engine.weights.registry import _guess_name
from dis_annotator.nets.tinyvit.attention import Attention, TinyViTBlock, offset_index
from dis_annotator.nets.tinyvit.config import TinyViTConfig
from dis_annotator.nets.tinyvit.conv import Conv2dBN, DropPath
from dis_annotator.nets.tinyvit.encoder import TinyViT, stage_resolutions

REF = json.loads((Path(__file__).parent / "manifests" / "mobile_sam_vit_t.json").read_text())
DTYPES = {"float32": torch.float32, "int64": torch.int64}


def reference_tensors(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random tensors with exactly the keys, shapes and dtypes of the official state dict."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for key, shape, dtype in REF["state_dict"]:
        if DTYPES[dtype] == torch.int64:
            out[key] = torch.tensor(7, dtype=torch.int64).expand(shape).clone()
        else:
            out[key] = torch.randn(shape, generator=g)
    return out


def test_reference_file_is_the_official_layout() -> None:
    assert len(REF["state_dict"]) == 439
    assert REF["param_count"] == 10_130_092 and REF["image_encoder_param_count"] == 6_065_532


def test_vit_t_loads_the_official_layout_strictly(tmp_path) -> None:
    sam = build_sam(PRESETS["vit_t"])
    ours = {k: (tuple(v.shape), v.dtype) for k, v in sam.state_dict().items()}
    ref = {k: (tuple(s), DTYPES[d]) for k, s, d in REF["state_dict"]}
    assert ours == ref  # key for key, shape for shape, dtype for dtype
    assert sum(p.numel() for p in sam.parameters()) == 10_130_092
    assert sum(p.numel() for p in sam.image_encoder.parameters()) == 6_065_532
    # The offset index is a non-persistent buffer: present, but not in the checkpoint.
    buffers = dict(sam.named_buffers())
    assert "image_encoder.layers.1.blocks.0.attn.attention_bias_idxs" in buffers
    assert not any("attention_bias_idxs" in k for k in sam.state_dict())

    tensors = reference_tensors()
    load_into(sam, tensors, "vit_t")  # strict
    for k, v in sam.state_dict().items():
        assert torch.equal(v, tensors[k]), k
    # A bare state dict on disk, like mobile_sam.pt, through the safe loader.
    path = tmp_path / "downloaded.pt"
    torch.save(tensors, path)
    assert _guess_name(path) == "mobile_sam"  # `models import` recognises it by its keys
    loaded, config = load_sam(path)
    assert config.model_type == "vit_t" and config.tiny_vit == TinyViTConfig()
    assert torch.equal(
        loaded.image_encoder.layers[2].blocks[5].attn.attention_biases,
        tensors["image_encoder.layers.2.blocks.5.attn.attention_biases"],
    )


def test_wrong_layout_is_refused_with_a_reason(tmp_path) -> None:
    tensors = reference_tensors()
    tensors["image_encoder.layers.3.blocks.1.attn.attention_biases"] = torch.zeros(10, 48)
    del tensors["image_encoder.head.bias"]
    path = tmp_path / "mobile_sam.pt"
    torch.save(tensors, path)
    with pytest.raises(WeightsError, match=r"1 missing keys.*head\.bias.*1 wrong shapes"):
        load_sam(path)


def test_infer_config_tells_vit_t_from_vit_b() -> None:
    assert infer_config(reference_tensors()).model_type == "vit_t"
    vit_b = {"image_encoder.patch_embed.proj.weight": torch.zeros(768, 3, 16, 16)}
    assert infer_config(vit_b).model_type == "vit_b"


def test_config_round_trip() -> None:
    cfg = SamConfig(model_type="vit_t", tiny_vit=TinyViTConfig(embed_dims=(8, 16, 24, 32)))
    assert SamConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert SamConfig.from_dict(PRESETS["vit_b"].to_dict()).tiny_vit is None


def test_offset_index_is_row_major_offset() -> None:
    """Column of the bias table = |Δrow|·w + |Δcol| (the official first-appearance order)."""
    for w in (2, 7, 14):
        idx = offset_index(w)
        n = w * w
        assert idx.shape == (n, n) and int(idx.max()) + 1 == n
        r = torch.arange(n) // w
        c = torch.arange(n) % w
        expect = (r[:, None] - r[None, :]).abs() * w + (c[:, None] - c[None, :]).abs()
        assert torch.equal(idx, expect)


def _attention_by_hand(attn: Attention, x: torch.Tensor, w: int) -> torch.Tensor:
    """One window (N, C) → (N, C), written from the definition, head by head."""
    n, dim = x.shape
    h = attn.num_heads
    kd = dim // h
    y = torch.nn.functional.layer_norm(x, (dim,), attn.norm.weight, attn.norm.bias, attn.norm.eps)
    qkv = y @ attn.qkv.weight.T + attn.qkv.bias  # (N, 3·dim): [q k v] per head
    heads = []
    rows, cols = torch.arange(n) // w, torch.arange(n) % w
    for j in range(h):
        part = qkv[:, j * 3 * kd : (j + 1) * 3 * kd]
        q, k, v = part[:, :kd], part[:, kd : 2 * kd], part[:, 2 * kd :]
        col = (rows[:, None] - rows[None, :]).abs() * w + (cols[:, None] - cols[None, :]).abs()
        scores = q @ k.T / math.sqrt(kd) + attn.attention_biases[j][col]
        heads.append(torch.softmax(scores, dim=-1) @ v)
    return torch.cat(heads, dim=1) @ attn.proj.weight.T + attn.proj.bias


@pytest.mark.parametrize("res", [(7, 7), (9, 12)], ids=["one-window", "padded"])
def test_block_equals_window_by_window_definition(res: tuple[int, int]) -> None:
    torch.manual_seed(0)
    ws, dim = 7, 12
    blk = TinyViTBlock(dim, res, num_heads=3, window_size=ws).eval()
    with torch.no_grad():
        blk.attn.attention_biases.normal_()
        blk.local_conv.bn.running_mean.normal_()
        x = torch.randn(2, res[0] * res[1], dim)
        got = blk(x)
        # Reference: pad the grid with zeros, attend inside each window, crop, add.
        hp, wp = -(-res[0] // ws) * ws, -(-res[1] // ws) * ws
        grid = torch.zeros(2, hp, wp, dim)
        grid[:, : res[0], : res[1]] = x.view(2, res[0], res[1], dim)
        out = torch.zeros_like(grid)
        for b in range(2):
            for y0 in range(0, hp, ws):
                for x0 in range(0, wp, ws):
                    win = grid[b, y0 : y0 + ws, x0 : x0 + ws].reshape(ws * ws, dim)
                    out[b, y0 : y0 + ws, x0 : x0 + ws] = _attention_by_hand(
                        blk.attn, win, ws
                    ).view(ws, ws, dim)
        y = x + out[:, : res[0], : res[1]].reshape(2, -1, dim)
        y = blk.local_conv(y.transpose(1, 2).reshape(2, dim, *res)).flatten(2).transpose(1, 2)
        expect = y + blk.mlp(y)
    torch.testing.assert_close(got, expect, rtol=1e-5, atol=1e-5)


def test_bias_follows_load_state_dict() -> None:
    """The bias is looked up at every call, so loading new weights takes effect at once."""
    attn = Attention(8, 2, 7).eval()
    x = torch.randn(3, 49, 8)
    with torch.no_grad():
        before = attn(x)
        sd = attn.state_dict()
        sd["attention_biases"] = torch.randn(2, 49)
        attn.load_state_dict(sd)
        assert not torch.allclose(attn(x), before)


def test_stage_grids_and_output_shape_small_config() -> None:
    assert stage_resolutions(1024) == [256, 128, 64, 64]
    cfg = TinyViTConfig(embed_dims=(8, 16, 24, 32), depths=(1, 1, 1, 1), num_heads=(1, 2, 2, 2),
                        head_classes=0)
    enc = TinyViT(cfg, img_size=256, out_chans=16).eval()
    grids = []
    handles = [
        layer.register_forward_hook(lambda _m, _i, out: grids.append(tuple(out.shape)))
        for layer in enc.layers
    ]
    with torch.no_grad():
        out = enc(torch.randn(1, 3, 256, 256))
    for h in handles:
        h.remove()
    # tokens after each stage's merge: 32², 16², 16² (the last merge keeps the grid), 16²
    assert grids == [(1, 32 * 32, 16), (1, 16 * 16, 24), (1, 16 * 16, 32), (1, 16 * 16, 32)]
    assert out.shape == (1, 16, 16, 16)
    assert [type(b).__name__ for b in enc.blocks_in_order()] == ["MBConv"] + ["TinyViTBlock"] * 3


def test_folded_batchnorm_equals_conv_then_bn() -> None:
    torch.manual_seed(0)
    m = Conv2dBN(6, 6, ks=3, stride=2, pad=1, groups=3).eval()
    with torch.no_grad():
        m.bn.weight.normal_()
        m.bn.bias.normal_()
        m.bn.running_mean.normal_()
        m.bn.running_var.uniform_(0.5, 2.0)
        x = torch.randn(2, 6, 9, 9)
        expect = m.bn(m.c(x))  # the two modules one after the other
        torch.testing.assert_close(m(x), expect, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(m(x.contiguous(memory_format=torch.channels_last)), expect,
                                   rtol=1e-5, atol=1e-5)
    m.train()  # training keeps BatchNorm's batch statistics
    y = m(x)
    assert torch.allclose(y.mean(dim=(0, 2, 3)), m.bn.bias, atol=1e-4)


def test_drop_path_is_identity_at_inference_only() -> None:
    dp = DropPath(0.5)
    x = torch.ones(64, 3)
    assert torch.equal(dp.eval()(x), x)
    torch.manual_seed(0)
    y = dp.train()(x)
    kept = y[:, 0] != 0
    assert 0 < int(kept.sum()) < 64  # whole samples dropped …
    assert torch.equal(y[kept], torch.full_like(y[kept], 2.0))  # … the rest rescaled


@pytest.mark.slow
def test_real_config_encodes_1024_to_256x64x64() -> None:
    torch.manual_seed(0)
    enc = build_sam(PRESETS["vit_t"]).image_encoder
    with torch.no_grad():
        out = enc(torch.randn(1, 3, 1024, 1024))
    assert out.shape == (1, 256, 64, 64) and torch.isfinite(out).all()
