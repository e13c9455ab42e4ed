"""TinyViT as SAM's image encoder: (B, 3, S, S) → (B, out_chans, S/16, S/16)."""

from __future__ import annotations

import torch
from torch import nn

from dis_annotator.nets.tinyvit.attention import TinyViTBlock
from dis_annotator.nets.tinyvit.config import TinyViTConfig
from dis_annotator.nets.tinyvit.conv import LayerNorm2d, MBConv, PatchEmbed, PatchMerging


class ConvLayer(nn.Module):
    """Stage 0: MBConv blocks on (B, C, H, W), then a merge to tokens (B, L', out_dim)."""

    def __init__(self, dim: int, depth: int, expand_ratio: float, drops: list[float],
                 downsample: PatchMerging | None) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(MBConv(dim, expand_ratio, drops[i]) for i in range(depth))
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for blk in self.blocks:
            x = blk(x)
        return x if self.downsample is None else self.downsample(x)


class BasicLayer(nn.Module):
    """Stages 1–3: TinyViT blocks on tokens (B, H·W, dim), then an optional merge."""

    def __init__(self, dim: int, resolution: tuple[int, int], depth: int, num_heads: int,
                 window_size: int, mlp_ratio: float, local_conv_size: int, drops: list[float],
                 downsample: PatchMerging | None) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            TinyViTBlock(dim, resolution, num_heads, window_size, mlp_ratio, local_conv_size,
                         drops[i])
            for i in range(depth)
        )
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for blk in self.blocks:
            x = blk(x)
        return x if self.downsample is None else self.downsample(x)


def stage_resolutions(img_size: int) -> list[int]:
    """Token-grid side per stage: S/4, S/8, S/16, S/16 (the last merge keeps the grid)."""
    first = img_size // 4
    return [first, first // 2, first // 4, first // 4]


class TinyViT(nn.Module):
    """MobileSAM's image encoder (TinyViT-5M at the default config) with SAM's neck.

    ``forward``: (B, 3, img_size, img_size) normalised pixels → (B, out_chans, g, g),
    g = img_size / 16 (256×64×64 for MobileSAM). ``img_size`` is read by ``Sam.preprocess``.
    ``norm_head``/``head`` are the unused classifier of the pre-trained TinyViT; they
    exist so the official checkpoint loads strictly.
    """

    def __init__(self, config: TinyViTConfig | None = None, img_size: int = 1024,
                 in_chans: int = 3, out_chans: int = 256) -> None:
        super().__init__()
        cfg = config or TinyViTConfig()
        if img_size % 64:
            raise ValueError(f"TinyViT needs an input size divisible by 64, got {img_size}")
        self.config = cfg
        self.img_size = img_size
        dims, depths = cfg.embed_dims, cfg.depths
        res = stage_resolutions(img_size)
        self.grid = res[-1]
        self.patch_embed = PatchEmbed(in_chans, dims[0])
        total = sum(depths)
        rates = [cfg.drop_path_rate * i / max(1, total - 1) for i in range(total)]
        self.layers = nn.ModuleList()
        for i in range(4):
            drops = rates[sum(depths[:i]) : sum(depths[: i + 1])]
            down = None
            if i < 3:
                stride = 2 if res[i + 1] < res[i] else 1
                down = PatchMerging((res[i], res[i]), dims[i], dims[i + 1], stride)
            if i == 0:
                layer: nn.Module = ConvLayer(dims[0], depths[0], cfg.mbconv_expand_ratio,
                                             drops, down)
            else:
                layer = BasicLayer(dims[i], (res[i], res[i]), depths[i], cfg.num_heads[i],
                                   cfg.window_sizes[i], cfg.mlp_ratio, cfg.local_conv_size,
                                   drops, down)
            self.layers.append(layer)
        self.norm_head = nn.LayerNorm(dims[-1])
        self.head = nn.Linear(dims[-1], cfg.head_classes) if cfg.head_classes else nn.Identity()
        self._init_linear()
        self.neck = nn.Sequential(
            nn.Conv2d(dims[-1], out_chans, kernel_size=1, bias=False),
            LayerNorm2d(out_chans),
            nn.Conv2d(out_chans, out_chans, kernel_size=3, padding=1, bias=False),
            LayerNorm2d(out_chans),
        )

    def _init_linear(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def blocks_in_order(self) -> list[nn.Module]:
        """Every MBConv / TinyViT block in execution order (hooks for cancellation)."""
        return [blk for layer in self.layers for blk in layer.blocks]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type == "cpu":
            # oneDNN's convolutions are ~20 % faster on NHWC; stage 0 is all convolutions,
            # and the token layout of later stages is NHWC already.
            x = x.contiguous(memory_format=torch.channels_last)
        x = self.patch_embed(x)
        for layer in self.layers:
            x = layer(x)
        b, _, c = x.shape
        x = x.view(b, self.grid, self.grid, c).permute(0, 3, 1, 2)
        return self.neck(x)
