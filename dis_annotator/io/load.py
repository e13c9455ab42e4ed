"""Load any reasonable image as H×W×3 uint8 RGB, or fail with one clear line.

Conventions (docs/adr/0004):
- EXIF orientation is applied, so pixels — and therefore masks — match what an image
  viewer shows. Mask files are written in that orientation, without EXIF tags.
- Alpha is dropped (RGBA, LA, palette transparency): the stored colour is kept as is.
- 16-bit and 32-bit channels are scaled to 8 bit; CMYK, palette, gray and YCbCr become RGB.
- The pixel count is checked from the header before decoding, so a decompression bomb
  is refused without allocating its pixels.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

DEFAULT_MAX_PIXELS = 300_000_000
MAX_PIXELS_ENV = "DIS_ANNOTATOR_MAX_PIXELS"
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".jfif"}
)

# We check the pixel budget ourselves (below) with our own, configurable limit.
Image.MAX_IMAGE_PIXELS = None


class ImageLoadError(ValueError):
    """The file cannot be used as an image; ``str(exc)`` is a one-line reason."""


def max_pixels_limit() -> int:
    """The pixel budget: ``$DIS_ANNOTATOR_MAX_PIXELS`` when set, else 300 MP.

    Raises :class:`ImageLoadError` naming the variable when it is not a positive whole
    number (read at each call, so a bad value is a clear error, not an import crash).
    """
    raw = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise ImageLoadError(
            f"{MAX_PIXELS_ENV}={raw[:40]!r} is not a positive whole number of pixels"
        )
    return value


def _to_uint8(arr: np.ndarray, sixteen_bit: bool) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    a = arr.astype(np.float64)
    if np.issubdtype(arr.dtype, np.floating):
        hi = float(np.nanmax(a)) if a.size else 1.0
        scale = 255.0 if hi <= 1.0 else 255.0 / hi
        a = np.nan_to_num(a) * scale
    elif sixteen_bit or float(a.max(initial=0)) > 255:
        a = a / (65535.0 / 255.0) if float(a.max(initial=0)) <= 65535 else a * (255.0 / a.max())
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def _pil_to_rgb(img: Image.Image) -> np.ndarray:
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        gray = _to_uint8(np.asarray(img), sixteen_bit=mode.startswith("I;16"))
        return np.repeat(gray[:, :, None], 3, axis=2)
    if mode == "RGB":
        return np.asarray(img, dtype=np.uint8)
    if mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    return np.asarray(img.convert("RGB"), dtype=np.uint8)


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """``(width, height)`` as a viewer shows it, read from the header only.

    Raises :class:`ImageLoadError` (one line) when the header cannot be read.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as img:
                w, h = img.size
                try:
                    orientation = img.getexif().get(0x0112, 1)
                except Exception:  # noqa: BLE001 - a broken EXIF block: no rotation
                    orientation = 1
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types on junk
        raise ImageLoadError(f"{path}: cannot read the image header ({_reason(exc)})") from None
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first[:160]


def load_image(path: str | os.PathLike[str], max_pixels: int | None = None) -> np.ndarray:
    """Read ``path`` as an H×W×3 uint8 RGB array in viewer orientation.

    Raises :class:`ImageLoadError` (a ``ValueError``) for a missing file, a file that is
    not an image, a truncated or zero-size image, or one over ``max_pixels``
    (default 300 MP, env ``DIS_ANNOTATOR_MAX_PIXELS``).
    """
    p = Path(path)
    limit = max_pixels_limit() if max_pixels is None else int(max_pixels)
    try:
        if p.is_dir():
            raise ImageLoadError(f"{p}: is a folder, not an image")
        if p.stat().st_size == 0:
            raise ImageLoadError(f"{p}: empty file")
    except FileNotFoundError:
        raise ImageLoadError(f"{p}: file not found") from None
    except OSError as exc:
        raise ImageLoadError(f"{p}: cannot read ({exc.strerror or _reason(exc)})") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(p) as img:
                w, h = img.size
                if w <= 0 or h <= 0:
                    raise ImageLoadError(f"{p}: image has zero size ({w}x{h})")
                if w * h > limit:
                    raise ImageLoadError(
                        f"{p}: {w}x{h} = {w * h / 1e6:.0f} MP is over the {limit / 1e6:.0f} MP limit"
                    )
                img.seek(0)
                img.load()
                img = ImageOps.exif_transpose(img) or img
                rgb = _pil_to_rgb(img)
    except ImageLoadError:
        raise
    except UnidentifiedImageError:
        raise ImageLoadError(f"{p}: not an image (or a format Pillow cannot read)") from None
    except MemoryError:
        raise ImageLoadError(f"{p}: not enough memory to decode this image") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        reason = _reason(exc)
        if "truncated" in reason.lower() or isinstance(exc, EOFError):
            reason = f"truncated or damaged image ({reason})"
        raise ImageLoadError(f"{p}: {reason}") from None
    except Exception as exc:  # noqa: BLE001 - decoders raise IndexError, struct.error, …
        raise ImageLoadError(f"{p}: damaged image ({type(exc).__name__}: {_reason(exc)})") from None
    if rgb.ndim != 3 or rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise ImageLoadError(f"{p}: decoded to an empty image")
    return np.ascontiguousarray(rgb)
