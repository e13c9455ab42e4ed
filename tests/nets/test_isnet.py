"""IS-Net / GT encoder: exact checkpoint compatibility, shapes, width variants, warm start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from dis_annotator.engine.checkpoint import load_into
from dis_annotator.engine.errors import WeightsError
from dis_annotator.nets.gt_encoder import ISNetGTEncoder
from dis_annotator.nets.isnet import ISNetDIS, warm_start_from_rgb

# Copies of shared/reference/isnet_*.json (names, shapes, dtypes of the official checkpoints).
REF = Path(__file__).parent / "manifests"
MANIFESTS = {
    "isnet_dis_in3.json": (lambda: ISNetDIS(in_ch=3), 44_046_790),
    "isnet_dis_in5.json": (lambda: ISNetDIS(in_ch=5), 44_047_942),
    "isnet_gt_encoder.json": (lambda: ISNetGTEncoder(), 6_877_734),
}


def _random_state_dict(manifest: dict) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    sd = {}
    for name, shape, dtype in manifest["state_dict"]:
        if dtype == "int64":
            sd[name] = torch.randint(0, 100, shape, generator=g, dtype=torch.int64)
        else:
            sd[name] = torch.randn(shape, generator=g)
    return sd


@pytest.mark.parametrize("fname", sorted(MANIFESTS))
def test_official_state_dict_loads_strict(fname: str) -> None:
    manifest = json.loads((REF / fname).read_text())
    build, count = MANIFESTS[fname]
    net = build()
    assert sum(p.numel() for p in net.parameters()) == count == manifest["param_count"]
    sd = _random_state_dict(manifest)
    net.load_state_dict(sd, strict=True)
    assert torch.equal(net.state_dict()["conv_in.bias" if "dis" in fname else "conv_in.conv.bias"],
                       sd["conv_in.bias" if "dis" in fname else "conv_in.conv.bias"])


def test_full_width_channel_layout_matches_reference() -> None:
    net = ISNetDIS(in_ch=5)
    assert tuple(net.conv_in.weight.shape) == (64, 5, 3, 3)
    assert net.feature_channels() == [64, 64, 128, 256, 512, 512]


@pytest.mark.parametrize("in_ch", [3, 5])
def test_forward_shapes_narrow(in_ch: int) -> None:
    torch.manual_seed(0)
    net = ISNetDIS(in_ch=in_ch, width=0.125).eval()
    x = torch.randn(2, in_ch, 70, 96)  # odd sizes exercise ceil-mode pooling
    with torch.no_grad():
        probs, feats = net(x)
    assert len(probs) == 6 and len(feats) == 6
    for p in probs:
        assert p.shape == (2, 1, 70, 96)
        assert float(p.min()) >= 0.0 and float(p.max()) <= 1.0
    sizes = [(35, 48), (18, 24), (9, 12), (5, 6), (3, 3), (2, 2)]
    for f, ch, hw in zip(feats, net.feature_channels(), sizes, strict=True):
        assert f.shape == (2, ch, *hw)


def test_gt_encoder_features_match_isnet_features() -> None:
    torch.manual_seed(0)
    width = 0.125
    net = ISNetDIS(in_ch=5, width=width).eval()
    enc = ISNetGTEncoder(width=width).eval()
    with torch.no_grad():
        _, f_net = net(torch.randn(1, 5, 64, 64))
        probs, f_enc = enc(torch.rand(1, 1, 64, 64).round())
    assert [f.shape for f in f_net] == [f.shape for f in f_enc]
    assert all(p.shape == (1, 1, 64, 64) for p in probs)


def test_width_keeps_topology_and_names() -> None:
    full = ISNetDIS(in_ch=5).state_dict()
    narrow = ISNetDIS(in_ch=5, width=0.25).state_dict()
    assert list(full) == list(narrow)
    assert narrow["conv_in.weight"].shape == (16, 5, 3, 3)
    assert sum(v.numel() for v in narrow.values()) < sum(v.numel() for v in full.values()) / 10


def test_wrong_width_checkpoint_is_refused() -> None:
    net = ISNetDIS(in_ch=5, width=0.25)
    other = ISNetDIS(in_ch=5, width=0.125).state_dict()
    with pytest.raises(WeightsError, match="wrong shapes"):
        load_into(net, other, "is5net")


def test_warm_start_copies_rgb_slice_and_keeps_behaviour() -> None:
    torch.manual_seed(0)
    rgb = ISNetDIS(in_ch=3, width=0.125).eval()
    net5 = ISNetDIS(in_ch=5, width=0.125).eval()
    warm_start_from_rgb(net5, rgb.state_dict())
    w = net5.conv_in.weight
    assert torch.equal(w[:, :3], rgb.conv_in.weight)
    assert torch.count_nonzero(w[:, 3:]) == 0
    assert torch.equal(net5.stage3.rebnconv2.conv_s1.weight, rgb.stage3.rebnconv2.conv_s1.weight)
    x = torch.randn(1, 3, 48, 48)
    extra = torch.rand(1, 2, 48, 48)
    with torch.no_grad():
        p3, _ = rgb(x)
        p5, _ = net5(torch.cat((x, extra), 1))
    assert torch.allclose(p3[0], p5[0], atol=1e-6)

    warm_start_from_rgb(net5, rgb.state_dict(), extra_init="normal")
    assert torch.count_nonzero(net5.conv_in.weight[:, 3:]) > 0
    with pytest.raises(ValueError):
        warm_start_from_rgb(net5, net5.state_dict())
