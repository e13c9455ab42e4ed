"""TinyViT's windowed attention with a learned relative-offset bias, and its block."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn

from dis_annotator.nets.tinyvit.conv import Conv2dBN, drop_path


def _offsets(window: int) -> tuple[list[int], int]:
    """Row-major (N·N) bias-table columns of :func:`offset_index`, and how many columns.

    Plain Python, so the table width is known without reading a tensor (the network can
    then be built on the ``meta`` device, as the checkpoint shape check does).
    """
    points = list(itertools.product(range(window), range(window)))
    seen: dict[tuple[int, int], int] = {}
    idxs = []
    for p1 in points:
        for p2 in points:
            off = (abs(p1[0] - p2[0]), abs(p1[1] - p2[1]))
            if off not in seen:
                seen[off] = len(seen)
            idxs.append(seen[off])
    return idxs, len(seen)


def offset_index(window: int) -> torch.Tensor:
    """(N, N) long, N = window²: for tokens i, j of a window, the column of the bias table
    that holds their offset (|Δrow|, |Δcol|).

    Columns are numbered in order of first appearance while scanning token pairs row-major,
    as the official code does; its checkpoint's ``attention_biases`` is laid out that way.
    """
    idxs, _ = _offsets(window)
    n = window * window
    return torch.tensor(idxs, dtype=torch.long).view(n, n)


class Attention(nn.Module):
    """Multi-head self-attention inside one window, pre-norm, with the offset bias.

    (B·windows, N, dim) → same, N = window². Each head has ``dim / heads`` channels for
    queries, keys and values (TinyViT's attention ratio 1).
    """

    def __init__(self, dim: int, num_heads: int, window: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.key_dim = dim // num_heads
        self.scale = self.key_dim ** -0.5
        self.norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        idxs, columns = _offsets(window)
        idx = torch.tensor(idxs, dtype=torch.long).view(window * window, window * window)
        self.attention_biases = nn.Parameter(torch.zeros(num_heads, columns))
        # Derived from the window size alone: not part of the checkpoint.
        self.register_buffer("attention_bias_idxs", idx, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        x = self.norm(x)
        # per token: [q | k | v] for head 0, then head 1, … (the official split order)
        qkv = self.qkv(x).view(b, n, self.num_heads, 3 * self.key_dim)
        q, k, v = qkv.permute(0, 2, 1, 3).split(self.key_dim, dim=3)
        # Indexed at every call (cheap: heads × N² values) so it can never go stale
        # after load_state_dict or .to(device), unlike a bias cached in train(False).
        bias = self.attention_biases[:, self.attention_bias_idxs].to(q.dtype)
        attn = (q @ k.transpose(-2, -1)) * self.scale + bias
        out = attn.softmax(dim=-1) @ v
        return self.proj(out.transpose(1, 2).reshape(b, n, -1))


class Mlp(nn.Module):
    """Pre-norm MLP: LayerNorm, Linear, GELU, Linear; (B, L, dim) → same."""

    def __init__(self, dim: int, hidden: int, drop: float = 0.0) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.act = nn.GELU()
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.act(self.fc1(self.norm(x))))
        return self.drop(self.fc2(x))


class TinyViTBlock(nn.Module):
    """Windowed attention, a depthwise 3×3 Conv+BN, then the MLP; (B, H·W, dim) → same.

    The token grid (H, W) = ``resolution`` is zero-padded at the bottom/right to whole
    windows; the padded tokens take part in attention unmasked, as in the official model.
    ``window_size`` > 0 also tells :func:`~dis_annotator.engine.sam_embedding` that this
    block is not a global-attention block.
    """

    def __init__(
        self, dim: int, resolution: tuple[int, int], num_heads: int, window_size: int,
        mlp_ratio: float = 4.0, local_conv_size: int = 3, p_drop: float = 0.0,
    ) -> None:
        super().__init__()
        if window_size <= 0 or dim % num_heads:
            raise ValueError(f"bad TinyViT block: dim {dim}, heads {num_heads}, window {window_size}")
        self.resolution = resolution
        self.window_size = window_size
        self.attn = Attention(dim, num_heads, window_size)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.local_conv = Conv2dBN(
            dim, dim, ks=local_conv_size, stride=1, pad=local_conv_size // 2, groups=dim
        )
        self.drop_path = drop_path(p_drop)

    def _windows(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H·W, C) → (B, H·W, C) through attention window by window."""
        h, w = self.resolution
        b, n, c = x.shape
        ws = self.window_size
        grid = x.view(b, h, w, c)
        pad_b, pad_r = (ws - h % ws) % ws, (ws - w % ws) % ws
        if pad_b or pad_r:
            grid = F.pad(grid, (0, 0, 0, pad_r, 0, pad_b))
        ph, pw = h + pad_b, w + pad_r
        nh, nw = ph // ws, pw // ws
        win = grid.view(b, nh, ws, nw, ws, c).transpose(2, 3).reshape(b * nh * nw, ws * ws, c)
        win = self.attn(win)
        grid = win.view(b, nh, nw, ws, ws, c).transpose(2, 3).reshape(b, ph, pw, c)
        if pad_b or pad_r:
            grid = grid[:, :h, :w]
        return grid.reshape(b, n, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = self.resolution
        b, n, c = x.shape
        if n != h * w:
            raise ValueError(f"TinyViT block expects {h}×{w} tokens, got {n}")
        x = x + self.drop_path(self._windows(x))
        x = self.local_conv(x.transpose(1, 2).reshape(b, c, h, w))
        x = x.view(b, c, n).transpose(1, 2)
        return x + self.drop_path(self.mlp(x))
