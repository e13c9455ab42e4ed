import pytest
import torch

from dis_annotator.nets.pisam.hr_head import HRConvHead
from dis_annotator.nets.pisam.interactor import MAX_POINTS, FourierPE, PreciseInteractor
from dis_annotator.nets.pisam.object_embedder import ObjectEmbedder


def test_object_embedder_shapes():
    torch.manual_seed(0)
    emb = ObjectEmbedder(8)
    out = emb(torch.randn(2, 8, 12, 12), torch.rand(2, 1, 12, 12))
    assert out.shape == (2, 8, 12, 12)


def test_hr_head_shapes_and_rgb_embedding_is_trained_and_saved():
    torch.manual_seed(0)
    head = HRConvHead(32)
    out = head(torch.randn(1, 32, 8, 8), torch.randn(1, 3, 32, 32))
    assert out.shape == (1, 1, 32, 32)
    keys = head.state_dict().keys()
    assert any(k.startswith("rgb_embed.") for k in keys)
    out.sum().backward()
    assert head.rgb_embed[0].weight.grad is not None
    with pytest.raises(ValueError):
        head(torch.randn(1, 32, 8, 8), torch.randn(1, 3, 16, 16))


def _clicks():
    coords = torch.tensor([[[10.5, 3.5], [40.5, 60.5], [0.0, 0.0]]])
    labels = torch.tensor([[1, 0, -1]])
    return coords, labels


def test_untrained_interactor_gives_zero_delta():
    torch.manual_seed(0)
    inter = PreciseInteractor(32)
    feature = torch.randn(1, 32, 16, 16)
    coords, labels = _clicks()
    delta = inter(feature, torch.randn(1, 32), coords, labels, frame=64.0)
    assert delta.shape == feature.shape
    assert torch.equal(delta, torch.zeros_like(delta))


def test_interactor_padding_is_ignored_and_no_click_rows_are_zero():
    torch.manual_seed(0)
    inter = PreciseInteractor(16)
    torch.nn.init.normal_(inter.out_conv.weight)
    feature = torch.randn(2, 16, 8, 8)
    tok = torch.randn(2, 16)
    coords = torch.tensor([[[5.0, 9.0], [0.0, 0.0]], [[1.0, 1.0], [2.0, 2.0]]])
    labels = torch.tensor([[1, -1], [-1, -1]])
    delta = inter(feature, tok, coords, labels, frame=32.0)
    # changing the padded click's position changes nothing
    coords2 = coords.clone()
    coords2[0, 1] = torch.tensor([30.0, 3.0])
    torch.testing.assert_close(inter(feature, tok, coords2, labels, frame=32.0), delta)
    assert delta[0].abs().sum() > 0
    assert torch.equal(delta[1], torch.zeros_like(delta[1]))
    with pytest.raises(ValueError):
        n = MAX_POINTS + 1
        inter(feature, tok, torch.zeros(2, n, 2), torch.ones(2, n, dtype=torch.long), 32.0)


def test_point_features_use_x_as_column_and_y_as_row():
    """Asymmetric case: a feature that is non-zero at one (row, col) only."""
    inter = PreciseInteractor(4)
    feature = torch.zeros(1, 4, 8, 8)
    row, col = 1, 6
    feature[0, :, row, col] = 1.0
    frame = 32.0  # 4 frame pixels per feature cell
    cell = frame / 8
    # a click at the centre of that cell, given as (x=column, y=row) in frame pixels
    x, y = (col + 0.5) * cell, (row + 0.5) * cell
    sampled = torch.nn.functional.grid_sample(
        feature, (2 * torch.tensor([[[[x, y]]]]) / frame - 1), align_corners=False
    )
    assert sampled.flatten()[0].item() == pytest.approx(1.0)
    swapped = torch.nn.functional.grid_sample(
        feature, (2 * torch.tensor([[[[y, x]]]]) / frame - 1), align_corners=False
    )
    assert swapped.flatten()[0].item() == pytest.approx(0.0)
    # and through the module: the token of the on-cell click differs from the swapped one
    tok_on = inter.point_tokens(feature, torch.tensor([[[x, y]]]), torch.tensor([[1]]), frame)
    tok_sw = inter.point_tokens(feature, torch.tensor([[[y, x]]]), torch.tensor([[1]]), frame)
    assert not torch.allclose(tok_on, tok_sw)


def test_fourier_buffer_is_saved_and_not_redrawn():
    a = PreciseInteractor(8)
    assert "pe.gaussian" in a.state_dict()
    torch.manual_seed(123)
    b = PreciseInteractor(8)
    b.pe.gaussian.add_(1.0)
    b.load_state_dict(a.state_dict())
    assert torch.equal(a.pe.gaussian, b.pe.gaussian)
    grid = FourierPE(8).grid(3, 5)
    assert grid.shape == (8, 3, 5)


def test_hr_head_with_cached_rgb_embedding_is_identical():
    torch.manual_seed(0)
    head = HRConvHead(32)
    feat, img = torch.randn(1, 32, 8, 8), torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(head(feat, img, head.rgb_embed(img)), head(feat, img))
