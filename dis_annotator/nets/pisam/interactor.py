"""Pi-SAM's Precise Interactor: clicks update the 256² mask feature, not SAM's 64² one.

Coordinates. Clicks arrive as ``coords`` (B, N, 2) holding ``(x, y)`` = (column, row)
(the project convention, ``engine/types.py``) in *continuous* pixel units of the SAM
input frame (side ``frame`` = 1024 for real SAM): pixel ``(c, r)`` covers
``[c, c+1) × [r, r+1)``, so a click on pixel ``(c, r)`` is ``(c + 0.5, r + 0.5)``. The
feature map covers the same frame, so a click's normalised position is ``coords / frame``
in [0, 1]; ``grid_sample`` (``align_corners=False``) gets ``2·coords/frame − 1`` with its
last axis in (x, y) order, which is what it expects. The official code mixes (x, y) and
(row, col); a test with an asymmetric click pins this down.

Per click: the 32-ch feature sampled there, a learned FG/BG flag embedding (32) and a
random-Fourier positional encoding (32) → LayerNorm → MLP → 32-d point token. Tokens are
[object token, point tokens]; missing clicks (label −1) are masked out of attention. A
small two-way transformer (dim 32, one head) lets the 256² feature attend to the tokens
and the tokens to the feature. The result enters the head through a zero-initialised
3×3 conv as a residual, so an untrained interactor changes nothing.

The Fourier matrix is a registered buffer: saved in the checkpoint and never redrawn at
load time (the official code regenerates two random buffers).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from dis_annotator.nets.sam_import import LayerNorm2d

MAX_POINTS = 10


class FourierPE(nn.Module):
    """Random-Fourier positional encoding of normalised (x, y) ∈ [0,1]² → ``dim`` features."""

    def __init__(self, dim: int = 32, scale: float = 1.0, seed: int = 0) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.register_buffer(
            "gaussian", scale * torch.randn(2, dim // 2, generator=gen), persistent=True
        )

    def forward(self, xy: torch.Tensor) -> torch.Tensor:
        """xy (..., 2) in [0, 1] as (x, y) → (..., dim)."""
        proj = 2 * math.pi * ((2 * xy - 1) @ self.gaussian)
        return torch.cat([torch.sin(proj), torch.cos(proj)], dim=-1)

    def grid(self, h: int, w: int) -> torch.Tensor:
        """Encoding of every pixel centre of an h×w map → (dim, h, w)."""
        ys = (torch.arange(h, device=self.gaussian.device, dtype=self.gaussian.dtype) + 0.5) / h
        xs = (torch.arange(w, device=self.gaussian.device, dtype=self.gaussian.dtype) + 0.5) / w
        xy = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)  # (h, w, 2) as (x, y)
        return self.forward(xy).permute(2, 0, 1)


class _Attention(nn.Module):
    """Single-head attention with q/k/v/out projections (dim → dim)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.q_proj = nn.Linear(dim, dim)
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)

    def forward(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, key_keep: torch.Tensor | None
    ) -> torch.Tensor:
        """q (B, Lq, D), k/v (B, Lk, D), key_keep (B, Lk) bool (True = attend) → (B, Lq, D)."""
        mask = None if key_keep is None else key_keep[:, None, :]
        out = F.scaled_dot_product_attention(
            self.q_proj(q), self.k_proj(k), self.v_proj(v), attn_mask=mask
        )
        return self.out_proj(out)


class _TwoWayLayer(nn.Module):
    """image ← attend(tokens); image ← conv MLP; tokens ← attend(image)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.cross_attn_image_to_token = _Attention(dim)
        self.norm1 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Conv2d(dim, dim, 3, padding=1),
            LayerNorm2d(dim),
            nn.GELU(),
            nn.Conv2d(dim, dim, 3, padding=1),
        )
        self.norm2 = nn.LayerNorm(dim)
        self.cross_attn_token_to_image = _Attention(dim)
        self.norm3 = nn.LayerNorm(dim)

    def forward(
        self,
        image: torch.Tensor,
        image_pe: torch.Tensor,
        tokens: torch.Tensor,
        keep: torch.Tensor,
        hw: tuple[int, int],
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """image (B, HW, D), image_pe (1, HW, D), tokens (B, T, D), keep (B, T)."""
        image = self.norm1(image + self.cross_attn_image_to_token(image + image_pe, tokens, tokens, keep))
        b, n, d = image.shape
        grid = image.transpose(1, 2).reshape(b, d, *hw)
        image = self.norm2(image + self.mlp(grid).flatten(2).transpose(1, 2))
        tokens = self.norm3(
            tokens + self.cross_attn_token_to_image(tokens, image + image_pe, image, None)
        )
        return image, tokens


class PreciseInteractor(nn.Module):
    """(feature (B,C,S,S), object_token (B,C), coords (B,N,2), labels (B,N)) → delta (B,C,S,S).

    ``labels``: 1 = foreground click, 0 = background click, −1 = padding (ignored).
    ``frame``: side of the SAM input frame the coords refer to (see the module docstring).
    Add the returned delta to the feature before the HR head.
    """

    def __init__(self, ch: int = 32, depth: int = 2, hidden: int = 256) -> None:
        super().__init__()
        self.ch = ch
        self.points_flag = nn.Embedding(2, ch)
        self.pe = FourierPE(ch)
        self.token_norm_in = nn.LayerNorm(3 * ch)
        self.token_mlp = nn.Sequential(
            nn.Linear(3 * ch, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, ch),
        )
        self.token_norm_out = nn.LayerNorm(ch)
        self.layers = nn.ModuleList(_TwoWayLayer(ch) for _ in range(depth))
        self.final_attn_image_to_token = _Attention(ch)
        self.norm_final = nn.LayerNorm(ch)
        self.out_conv = nn.Conv2d(ch, ch, 3, padding=1)
        nn.init.zeros_(self.out_conv.weight)
        nn.init.zeros_(self.out_conv.bias)

    def point_tokens(
        self, feature: torch.Tensor, coords: torch.Tensor, labels: torch.Tensor, frame: float
    ) -> torch.Tensor:
        """Point tokens (B, N, C) for clicks at ``coords`` (B, N, 2) in frame pixels (x, y)."""
        xy = coords / frame  # (B, N, 2) normalised (x, y)
        grid = (2 * xy - 1).unsqueeze(1)  # (B, 1, N, 2): grid_sample wants (x, y)
        sampled = F.grid_sample(feature, grid, mode="bilinear", align_corners=False)
        sampled = sampled.squeeze(2).transpose(1, 2)  # (B, N, C)
        flag = self.points_flag(labels.clamp(min=0).long())
        x = torch.cat([sampled, flag, self.pe(xy)], dim=-1)
        return self.token_norm_out(self.token_mlp(self.token_norm_in(x)))

    def forward(
        self,
        feature: torch.Tensor,
        object_token: torch.Tensor,
        coords: torch.Tensor,
        labels: torch.Tensor,
        frame: float,
    ) -> torch.Tensor:
        b, c, h, w = feature.shape
        if coords.shape[1] > MAX_POINTS:
            raise ValueError(f"at most {MAX_POINTS} clicks, got {coords.shape[1]}")
        points = self.point_tokens(feature, coords, labels, frame)
        tokens = torch.cat([object_token.unsqueeze(1), points], dim=1)
        keep = torch.cat(
            [torch.ones(b, 1, dtype=torch.bool, device=labels.device), labels >= 0], dim=1
        )
        image = feature.flatten(2).transpose(1, 2)  # (B, HW, C)
        image_pe = self.pe.grid(h, w).to(feature.dtype).flatten(1).transpose(0, 1).unsqueeze(0)
        for layer in self.layers:
            image, tokens = layer(image, image_pe, tokens, keep, (h, w))
        image = self.norm_final(
            image + self.final_attn_image_to_token(image + image_pe, tokens, tokens, keep)
        )
        updated = image.transpose(1, 2).reshape(b, c, h, w)
        # Padding rows: a sample with no valid clicks must get exactly zero delta.
        has_click = (labels >= 0).any(dim=1).to(feature.dtype).view(b, 1, 1, 1)
        return self.out_conv(updated) * has_click
