"""Pi-SAM (Segment Anything with Precise Interaction) modules on top of a frozen SAM.

One idea per file: ``deform_conv`` (pure-torch DCNv2), ``sam_decoder_ext`` (frozen SAM
decoder exposing its intermediates), ``feature_fusion`` (HQ-SAM-style 32-ch feature),
``object_embedder``, ``hr_head``, ``interactor``, ``decoder`` (the trainable whole) and
``frame`` (SAM's input frame geometry).
"""

from dis_annotator.nets.pisam.decoder import ObjectFeatures, PiSamDecoder
from dis_annotator.nets.pisam.sam_decoder_ext import SamDecoderExt, SamDecoderOutput

__all__ = ["ObjectFeatures", "PiSamDecoder", "SamDecoderExt", "SamDecoderOutput"]
