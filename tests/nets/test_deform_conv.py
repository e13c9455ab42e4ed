import pytest
import torch
from torch.nn import functional as F

from dis_annotator.nets.pisam.deform_conv import (
    ModulatedDeformConv2d,
    deform_conv2d,
    plain_conv_equivalent,
    sample_taps,
)


def _shifted_conv(x: torch.Tensor, w: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """out[h, w] = sum_ij W[i, j] · x[h + i - 1 + dy, w + j - 1 + dx] (zero outside x)."""
    p = 8
    full = F.conv2d(F.pad(x, (p, p, p, p)), w)
    h, wd = x.shape[-2:]
    return full[..., p - 1 + dy : p - 1 + dy + h, p - 1 + dx : p - 1 + dx + wd]


@pytest.mark.parametrize("k", [3, 7])
def test_fresh_layer_equals_conv2d(k):
    torch.manual_seed(0)
    layer = ModulatedDeformConv2d(4, 5, k, bias=True)
    x = torch.randn(2, 4, 11, 13)
    # zero-initialised predictors: offsets exactly 0, modulator exactly 2·sigmoid(0) = 1
    assert torch.equal(layer.offset_conv(x), torch.zeros(2, 2 * k * k, 11, 13))
    assert torch.equal(2 * torch.sigmoid(layer.modulator_conv(x)), torch.ones(2, k * k, 11, 13))
    out = layer(x)
    assert out.shape == (2, 5, 11, 13)
    torch.testing.assert_close(out, plain_conv_equivalent(layer, x), rtol=1e-5, atol=1e-5)


def test_zero_offset_sampling_is_bit_exact_im2col():
    """Power-of-two sizes (SAM's 64² and 256² maps) sample integer positions exactly."""
    torch.manual_seed(1)
    x = torch.randn(1, 3, 8, 16)
    k, pad = 3, 1
    rows = torch.arange(8.0).view(1, 1, 8, 1).expand(1, 1, 8, 16)
    cols = torch.arange(16.0).view(1, 1, 1, 16).expand(1, 1, 8, 16)
    unfold = F.unfold(x, k, padding=pad).view(1, 3, k * k, 8, 16)
    for i in range(k):
        for j in range(k):
            got = sample_taps(x, rows + i - pad, cols + j - pad)[:, :, 0]
            assert torch.equal(got, unfold[:, :, i * k + j])


@pytest.mark.parametrize("dy,dx", [(1, -2), (-3, 0), (2, 1)])
def test_integer_offset_is_shifted_conv(dy, dx):
    """Asymmetric shifts pin down the offset layout: channel 2k = row (y), 2k+1 = column (x)."""
    torch.manual_seed(2)
    k = 3
    x = torch.randn(1, 2, 9, 10)
    w = torch.randn(4, 2, k, k)
    offset = torch.zeros(1, 2 * k * k, 9, 10)
    offset[:, 0::2] = dy
    offset[:, 1::2] = dx
    got = deform_conv2d(x, offset, None, w, None, padding=1)
    want = _shifted_conv(x, w, dy, dx)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


def test_half_pixel_offset_interpolates():
    x = torch.arange(12.0).view(1, 1, 3, 4)
    py = torch.zeros(1, 1, 1, 1)
    px = torch.full((1, 1, 1, 1), 1.5)
    assert sample_taps(x, py, px).item() == pytest.approx(1.5)
    py = torch.full((1, 1, 1, 1), 0.5)
    px = torch.zeros(1, 1, 1, 1)
    assert sample_taps(x, py, px).item() == pytest.approx(2.0)  # rows 0 and 1: 0 and 4


def test_gradients_reach_offsets_and_modulator():
    torch.manual_seed(3)
    layer = ModulatedDeformConv2d(3, 3, 3)
    x = torch.randn(1, 3, 8, 8, requires_grad=True)
    layer(x).square().sum().backward()
    assert layer.offset_conv.weight.grad.abs().sum() > 0
    assert layer.modulator_conv.weight.grad.abs().sum() > 0
    assert x.grad is not None and x.grad.abs().sum() > 0
