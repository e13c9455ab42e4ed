"""IS-Net (DIS) segmentation network; ``in_ch=5`` is DIS-SAM's refiner ("IS5Net").

Topology and parameter names follow the official IS-Net code, so the released IS-Net
(3 channels) and DIS-SAM (5 channels: RGB, coarse mask, box mask) checkpoints load with
``strict=True`` at ``width=1.0``. ``width`` scales every channel count (same topology)
for narrow CPU-friendly variants; such weights are only compatible with the same width.
"""

from __future__ import annotations

import torch
from torch import nn

from dis_annotator.nets.rsu import RSU4, RSU4F, RSU5, RSU6, RSU7, upsample_like


def scaled(channels: int, width: float) -> int:
    """Channel count ``channels`` × ``width`` rounded, never below 2."""
    if width <= 0:
        raise ValueError(f"width must be > 0, got {width}")
    return max(2, int(round(channels * width)))


class ISNetDIS(nn.Module):
    """IS-Net: ``conv_in`` (stride 2) → six RSU encoder stages → five RSU decoder stages.

    Input ``x``: B×in_ch×H×W (RGB/255 − 0.5, then for in_ch=5 the coarse mask and the
    filled box mask in {0, 1}). ``forward`` returns ``(probs, feats)``:

    - ``probs``: 6 tensors B×1×H×W, sigmoid side outputs at input size; ``probs[0]``
      (from the finest decoder stage) is the prediction used at inference.
    - ``feats``: 6 tensors ``[hx1d, hx2d, hx3d, hx4d, hx5d, hx6]`` with (at width 1)
      64, 64, 128, 256, 512, 512 channels at H/2, H/4, …, H/64 (ceil) — the features
      the GT encoder supervises.
    """

    def __init__(self, in_ch: int = 3, out_ch: int = 1, width: float = 1.0) -> None:
        super().__init__()
        self.in_ch, self.out_ch, self.width = in_ch, out_ch, width

        def c(n: int) -> int:
            return scaled(n, width)

        self.conv_in = nn.Conv2d(in_ch, c(64), 3, stride=2, padding=1)
        self.stage1 = RSU7(c(64), c(32), c(64))
        self.stage2 = RSU6(c(64), c(32), c(128))
        self.stage3 = RSU5(c(128), c(64), c(256))
        self.stage4 = RSU4(c(256), c(128), c(512))
        self.stage5 = RSU4F(c(512), c(256), c(512))
        self.stage6 = RSU4F(c(512), c(256), c(512))
        self.stage5d = RSU4F(c(512) * 2, c(256), c(512))
        self.stage4d = RSU4(c(512) * 2, c(128), c(256))
        self.stage3d = RSU5(c(256) * 2, c(64), c(128))
        self.stage2d = RSU6(c(128) * 2, c(32), c(64))
        self.stage1d = RSU7(c(64) * 2, c(16), c(64))
        self.side1 = nn.Conv2d(c(64), out_ch, 3, padding=1)
        self.side2 = nn.Conv2d(c(64), out_ch, 3, padding=1)
        self.side3 = nn.Conv2d(c(128), out_ch, 3, padding=1)
        self.side4 = nn.Conv2d(c(256), out_ch, 3, padding=1)
        self.side5 = nn.Conv2d(c(512), out_ch, 3, padding=1)
        self.side6 = nn.Conv2d(c(512), out_ch, 3, padding=1)
        self.pool = nn.MaxPool2d(2, stride=2, ceil_mode=True)

    def feature_channels(self) -> list[int]:
        """Channels of ``feats`` from :meth:`forward`, finest first."""
        return [
            self.stage1d.rebnconv1d.conv_s1.out_channels,
            self.stage2d.rebnconv1d.conv_s1.out_channels,
            self.stage3d.rebnconv1d.conv_s1.out_channels,
            self.stage4d.rebnconv1d.conv_s1.out_channels,
            self.stage5d.rebnconv1d.conv_s1.out_channels,
            self.stage6.rebnconv1d.conv_s1.out_channels,
        ]

    def forward_logits(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Like :meth:`forward` but side outputs are logits (for numerically safe BCE)."""
        hxin = self.conv_in(x)
        hx1 = self.stage1(hxin)
        hx2 = self.stage2(self.pool(hx1))
        hx3 = self.stage3(self.pool(hx2))
        hx4 = self.stage4(self.pool(hx3))
        hx5 = self.stage5(self.pool(hx4))
        hx6 = self.stage6(self.pool(hx5))

        hx5d = self.stage5d(torch.cat((upsample_like(hx6, hx5), hx5), 1))
        hx4d = self.stage4d(torch.cat((upsample_like(hx5d, hx4), hx4), 1))
        hx3d = self.stage3d(torch.cat((upsample_like(hx4d, hx3), hx3), 1))
        hx2d = self.stage2d(torch.cat((upsample_like(hx3d, hx2), hx2), 1))
        hx1d = self.stage1d(torch.cat((upsample_like(hx2d, hx1), hx1), 1))

        feats = [hx1d, hx2d, hx3d, hx4d, hx5d, hx6]
        sides = (self.side1, self.side2, self.side3, self.side4, self.side5, self.side6)
        logits = [upsample_like(side(f), x) for side, f in zip(sides, feats, strict=True)]
        return logits, feats

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        logits, feats = self.forward_logits(x)
        return [torch.sigmoid(d) for d in logits], feats


@torch.no_grad()
def warm_start_from_rgb(
    net5: ISNetDIS, state_dict_rgb: dict[str, torch.Tensor], extra_init: str = "zeros"
) -> None:
    """Initialise a 5-channel net from a 3-channel IS-Net state dict (same width).

    Every tensor is copied except ``conv_in.weight``, whose RGB slice
    ``[:, :3]`` is copied and whose two extra input channels (coarse mask, box) are
    set to zeros (``extra_init="zeros"``: the warm-started net initially behaves exactly
    like the RGB net) or small random values (``"normal"``, std 1e-2, so gradients
    differ per filter from the first step).
    """
    own = net5.state_dict()
    w3 = state_dict_rgb["conv_in.weight"]
    w5 = own["conv_in.weight"]
    if w3.shape[1] != 3 or w5.shape[1] <= 3 or w3.shape[0] != w5.shape[0]:
        raise ValueError(
            f"warm start needs a 3-channel source and a wider target of equal width, "
            f"got conv_in {tuple(w3.shape)} → {tuple(w5.shape)}"
        )
    new = dict(state_dict_rgb)
    extra = torch.zeros_like(w5[:, 3:])
    if extra_init == "normal":
        extra.normal_(0.0, 1e-2)
    elif extra_init != "zeros":
        raise ValueError(f"extra_init must be 'zeros' or 'normal', got {extra_init!r}")
    new["conv_in.weight"] = torch.cat((w3.to(w5.dtype), extra), 1)
    net5.load_state_dict(new, strict=True)
