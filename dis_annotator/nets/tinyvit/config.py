"""TinyViT sizes as data (torch-free: imported by the SAM registry at start-up)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class TinyViTConfig:
    """Four stages: a convolutional one (MBConv) and three windowed-attention ones.

    Defaults are MobileSAM's TinyViT-5M at 1024² input (``build_sam_vit_t``). The
    encoder's token grid is ``img_size / 4`` after the patch embedding, halved by the
    first two merges; the last merge keeps the resolution, so the output grid is
    ``img_size / 16`` (64×64 at 1024), as SAM's prompt encoder expects.
    ``head_classes`` only sizes the unused ImageNet head that the official checkpoint
    still carries (its keys must exist for a strict load).
    """

    embed_dims: tuple[int, int, int, int] = (64, 128, 160, 320)
    depths: tuple[int, int, int, int] = (2, 2, 6, 2)
    num_heads: tuple[int, int, int, int] = (2, 4, 5, 10)
    window_sizes: tuple[int, int, int, int] = (7, 7, 14, 7)
    mlp_ratio: float = 4.0
    mbconv_expand_ratio: float = 4.0
    local_conv_size: int = 3
    head_classes: int = 1000
    drop_path_rate: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> TinyViTConfig:
        known = {k: v for k, v in d.items() if k in TinyViTConfig.__dataclass_fields__}
        for k in ("embed_dims", "depths", "num_heads", "window_sizes"):
            if k in known:
                known[k] = tuple(int(v) for v in known[k])
        return TinyViTConfig(**known)
