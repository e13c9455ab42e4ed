"""Image and mask I/O: safe loading of any image, atomic mask / cut-out / RLE writing."""

from dis_annotator.io.atomic import atomic_open, atomic_write_bytes, atomic_write_text
from dis_annotator.io.load import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, ImageLoadError, load_image
from dis_annotator.io.masks import (
    encode_png,
    mask_to_rle,
    read_mask_png,
    rle_to_mask,
    write_cutout_png,
    write_mask_png,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "ImageLoadError",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_text",
    "encode_png",
    "load_image",
    "mask_to_rle",
    "read_mask_png",
    "rle_to_mask",
    "write_cutout_png",
    "write_mask_png",
]
