"""SAM's mask decoder, frozen, re-run so it also returns what Pi-SAM needs.

``MaskDecoder.predict_masks`` keeps its 32-channel upscaled mask feature and the
hypernetwork vectors to itself. :class:`SamDecoderExt` wraps an existing decoder (the
one inside a loaded ``Sam``, so weights are shared, not copied) and repeats exactly the
same operations in the same order, returning the intermediates too. SAM's own outputs
are therefore bit-identical to ``MaskDecoder.forward`` (tested), and its parameters stay
frozen (``requires_grad=False``) and loadable from the official SAM checkpoints.

The *object token* is the 32-d hypernetwork vector of the chosen mask token: the vector
whose dot product with the mask feature is SAM's mask. Using it (instead of adding an
extra token to SAM's transformer as HQ-SAM does) leaves SAM's computation untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn


@dataclass
class SamDecoderOutput:
    """Everything one decoder pass produced (B = number of prompts, S = 4 × embedding side).

    masks: (B, M, S, S) low-res logits of the selected mask tokens (M = 1 or 3).
    iou_pred: (B, M). upscaled: (B, 32, S, S) SAM's mask feature.
    object_token: (B, M, 32) hypernetwork vectors of the selected tokens.
    """

    masks: torch.Tensor
    iou_pred: torch.Tensor
    upscaled: torch.Tensor
    object_token: torch.Tensor


class SamDecoderExt(nn.Module):
    """Frozen wrapper around a ``segment_anything`` ``MaskDecoder`` (shared, not copied)."""

    def __init__(self, decoder: nn.Module) -> None:
        super().__init__()
        self.decoder = decoder
        for p in self.decoder.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def forward(
        self,
        image_embeddings: torch.Tensor,
        image_pe: torch.Tensor,
        sparse_prompt_embeddings: torch.Tensor,
        dense_prompt_embeddings: torch.Tensor,
        multimask_output: bool = False,
    ) -> SamDecoderOutput:
        """Same arguments as ``MaskDecoder.forward``; image_embeddings (1 or B, 256, s, s)."""
        d = self.decoder
        output_tokens = torch.cat([d.iou_token.weight, d.mask_tokens.weight], dim=0)
        output_tokens = output_tokens.unsqueeze(0).expand(sparse_prompt_embeddings.size(0), -1, -1)
        tokens = torch.cat((output_tokens, sparse_prompt_embeddings), dim=1)

        src = torch.repeat_interleave(image_embeddings, tokens.shape[0], dim=0)
        src = src + dense_prompt_embeddings
        pos_src = torch.repeat_interleave(image_pe, tokens.shape[0], dim=0)
        b, c, h, w = src.shape

        hs, src = d.transformer(src, pos_src, tokens)
        iou_token_out = hs[:, 0, :]
        mask_tokens_out = hs[:, 1 : (1 + d.num_mask_tokens), :]

        src = src.transpose(1, 2).view(b, c, h, w)
        upscaled_embedding = d.output_upscaling(src)
        hyper_in_list = [
            d.output_hypernetworks_mlps[i](mask_tokens_out[:, i, :])
            for i in range(d.num_mask_tokens)
        ]
        hyper_in = torch.stack(hyper_in_list, dim=1)
        b, c, h, w = upscaled_embedding.shape
        masks = (hyper_in @ upscaled_embedding.view(b, c, h * w)).view(b, -1, h, w)
        iou_pred = d.iou_prediction_head(iou_token_out)

        sel = slice(1, None) if multimask_output else slice(0, 1)
        return SamDecoderOutput(
            masks=masks[:, sel],
            iou_pred=iou_pred[:, sel],
            upscaled=upscaled_embedding,
            object_token=hyper_in[:, sel],
        )


def sam_decoder_state(sam_state_dict: Mapping[str, Any]) -> dict[str, Any]:
    """The ``mask_decoder.*`` entries of an official SAM state dict, prefix removed.

    Load them with ``engine.checkpoint.load_into(ext.decoder, ...)`` (strict).
    """
    prefix = "mask_decoder."
    return {k[len(prefix) :]: v for k, v in sam_state_dict.items() if k.startswith(prefix)}


def box_prompt_decode(
    sam: Any, image_embeddings: torch.Tensor, boxes: torch.Tensor, ext: SamDecoderExt
) -> SamDecoderOutput:
    """Run SAM's prompt encoder + the extended decoder for box prompts.

    sam: a ``segment_anything`` ``Sam``; image_embeddings (1, 256, s, s); boxes (B, 4) as
    (x0, y0, x1, y1) in SAM's input frame (the 1024² padded frame), as SAM expects.
    """
    with torch.no_grad():
        sparse, dense = sam.prompt_encoder(points=None, boxes=boxes, masks=None)
        return ext(
            image_embeddings=image_embeddings,
            image_pe=sam.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=False,
        )
