"""SAM image embeddings: the value type and the cancellable encoder call.

:func:`encode` runs ``Sam.preprocess`` and ``Sam.image_encoder`` exactly as
``SamPredictor.set_image`` does (same resize, same normalisation and padding), with
forward hooks that (a) capture the first global-attention block's output for HQ-SAM /
Pi-SAM style decoders and (b) abandon the encode between ViT blocks when the request is
no longer wanted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from dis_annotator.engine.sam_transforms import resize_longest_side, scale_coords
from dis_annotator.engine.types import Superseded
from dis_annotator.geometry import Rect


@dataclass
class SamEmbedding:
    """One encoded image (or image region in crop-to-box mode).

    ``features``: (1, 256, 64, 64) float32 on the model's device.
    ``interm``: (1, 64, 64, C) float32, output of the encoder's first global-attention
    block (C = 768 for vit_b), or None when not captured (always None for vit_t).
    ``original_size``: (H, W) of the encoded region; ``input_size``: (h, w) after
    resizing its long side to ``img_size`` (before padding); ``offset``: (x, y) of the
    region in the full image ((0, 0) unless crop-to-box).
    """

    features: torch.Tensor
    interm: torch.Tensor | None
    original_size: tuple[int, int]
    input_size: tuple[int, int]
    offset: tuple[int, int] = (0, 0)
    img_size: int = 1024

    @property
    def region(self) -> Rect:
        """(x0, y0, x1, y1) of the encoded region in full-image pixels."""
        x0, y0 = self.offset
        return Rect(x0, y0, x0 + self.original_size[1], y0 + self.original_size[0])

    @property
    def nbytes(self) -> int:
        n = self.features.numel() * self.features.element_size()
        if self.interm is not None:
            n += self.interm.numel() * self.interm.element_size()
        return int(n)

    def to_input_frame(self, coords: np.ndarray) -> np.ndarray:
        """(..., 2) full-image (x, y) → the 1024 input frame SAM's prompt encoder expects."""
        c = np.array(coords, dtype=float, copy=True)
        c[..., 0] -= self.offset[0]
        c[..., 1] -= self.offset[1]
        return scale_coords(c, self.original_size, self.img_size)

    def box_to_input_frame(self, box: np.ndarray) -> np.ndarray:
        """(..., 4) full-image XYXY → input frame."""
        b = np.asarray(box, dtype=float)
        return self.to_input_frame(b.reshape(*b.shape[:-1], 2, 2)).reshape(b.shape)

    def contains(self, x: float, y: float) -> bool:
        x0, y0, x1, y1 = self.region
        return x0 <= x < x1 and y0 <= y < y1


def encoder_blocks(encoder: torch.nn.Module) -> list[torch.nn.Module]:
    """The encoder's blocks in execution order: the ViT's ``blocks``, or TinyViT's
    (MobileSAM) MBConv and attention blocks of every stage."""
    if hasattr(encoder, "blocks_in_order"):
        return list(encoder.blocks_in_order())
    return list(encoder.blocks)


def first_global_block(encoder: torch.nn.Module) -> int | None:
    """Index of the first ViT block with global attention (window_size == 0).

    None for TinyViT: every attention block there is windowed, so there is no early
    global feature for Pi-SAM.
    """
    if hasattr(encoder, "blocks_in_order"):
        return None
    for i, blk in enumerate(encoder.blocks):
        if getattr(blk, "window_size", 0) == 0:
            return i
    return None


def encode(
    sam: torch.nn.Module,
    region: np.ndarray,
    *,
    offset: tuple[int, int] = (0, 0),
    is_current: Callable[[], bool] | None = None,
    capture_interm: bool = True,
    half: bool = False,
    cpu_bf16: bool = False,
) -> SamEmbedding:
    """Encode an H×W×3 uint8 RGB ``region``.

    ``half``: run the encoder in float16 (GPU; the module must already be half).
    ``cpu_bf16``: bfloat16 autocast on CPU. Outputs are always float32.
    Raises :class:`Superseded` when ``is_current`` turns False before or during the
    encode (checked before each encoder block).
    """
    encoder = sam.image_encoder
    img_size = int(encoder.img_size)
    device = sam.device
    if is_current is not None and not is_current():
        raise Superseded("encode")
    resized = resize_longest_side(region, img_size)
    x = torch.as_tensor(resized, device=device).permute(2, 0, 1).contiguous()[None, :, :, :]
    input_size = (int(x.shape[-2]), int(x.shape[-1]))
    captured: dict[str, torch.Tensor] = {}
    handles = []

    def check(_module: torch.nn.Module, _args: object) -> None:
        if is_current is not None and not is_current():
            raise Superseded("encode")

    def keep(_module: torch.nn.Module, _args: object, out: torch.Tensor) -> None:
        captured["interm"] = out.detach().float()

    try:
        for blk in encoder_blocks(encoder):
            handles.append(blk.register_forward_pre_hook(check))
        gi = first_global_block(encoder)
        if capture_interm and gi is not None:
            handles.append(encoder.blocks[gi].register_forward_hook(keep))
        autocast = (
            torch.autocast("cpu", dtype=torch.bfloat16)
            if cpu_bf16 and device.type == "cpu"
            else contextlib.nullcontext()
        )
        # no_grad, not inference_mode: trainers may feed these tensors into autograd.
        with torch.no_grad():
            inp = sam.preprocess(x)
            if half:
                inp = inp.half()
            with autocast:
                features = encoder(inp)
            features = features.float()
    finally:
        for h in handles:
            h.remove()
    return SamEmbedding(
        features=features,
        interm=captured.get("interm"),
        original_size=(int(region.shape[0]), int(region.shape[1])),
        input_size=input_size,
        offset=(int(offset[0]), int(offset[1])),
        img_size=img_size,
    )
