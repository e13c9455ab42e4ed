"""Compact storage of mask pixels for the undo history and deleted objects.

A mask window is stored as ``zlib(np.packbits(window))``: 1 bit per pixel before
compression, and masks are mostly long runs, so zlib shrinks it much further. A
:class:`MaskPatch` keeps only the bounding box of the pixels an edit changed, with the
old and the new pixels of that box, so applying either side is idempotent (writing the
same pixels twice is harmless — ``QUndoStack.push`` calls ``redo`` on commands whose
effect the UI may already show). See docs/adr/0061.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from dis_annotator.annotation.geometry import Rect, bbox_of

# Level 1: edits happen while the user waits; higher levels gain little on masks.
_ZLEVEL = 1
# Python object + bookkeeping per stored blob, so tiny patches are not counted as free.
_OVERHEAD = 64


@dataclass(frozen=True)
class PackedBits:
    """An H'×W' bool array as zlib-compressed packed bits."""

    shape: tuple[int, int]
    data: bytes

    @classmethod
    def pack(cls, array: np.ndarray) -> PackedBits:
        arr = np.ascontiguousarray(array, dtype=bool)
        return cls((int(arr.shape[0]), int(arr.shape[1])), zlib.compress(np.packbits(arr).tobytes(), _ZLEVEL))

    def unpack(self) -> np.ndarray:
        h, w = self.shape
        bits = np.frombuffer(zlib.decompress(self.data), dtype=np.uint8)
        return np.unpackbits(bits, count=h * w).reshape(h, w).view(bool)

    @property
    def nbytes(self) -> int:
        return len(self.data) + _OVERHEAD


@dataclass(frozen=True)
class MaskPatch:
    """Old and new pixels of the rectangle that one edit changed in an H×W mask."""

    rect: Rect
    old: PackedBits
    new: PackedBits

    @classmethod
    def between(cls, old: np.ndarray, new: np.ndarray) -> MaskPatch | None:
        """The patch turning full-size ``old`` into ``new``; None when they are equal."""
        if old.shape != new.shape:
            raise ValueError(f"mask shapes differ: {old.shape} vs {new.shape}")
        rect = bbox_of(old != new)
        if rect is None:
            return None
        return cls(rect, PackedBits.pack(old[rect.slices]), PackedBits.pack(new[rect.slices]))

    @classmethod
    def in_window(cls, mask: np.ndarray, rect: Rect, new_window: np.ndarray) -> MaskPatch | None:
        """The patch writing ``new_window`` (rect-sized) into ``mask``, shrunk to what changes."""
        old_window = mask[rect.slices]
        changed = bbox_of(old_window != new_window)
        if changed is None:
            return None
        inner = changed.slices
        return cls(
            changed.offset(rect.x0, rect.y0),
            PackedBits.pack(old_window[inner]),
            PackedBits.pack(new_window[inner]),
        )

    def apply_new(self, mask: np.ndarray) -> None:
        mask[self.rect.slices] = self.new.unpack()

    def apply_old(self, mask: np.ndarray) -> None:
        mask[self.rect.slices] = self.old.unpack()

    @property
    def nbytes(self) -> int:
        return self.old.nbytes + self.new.nbytes + _OVERHEAD


@dataclass(frozen=True)
class PackedMask:
    """A whole H×W mask stored as its bounding box's packed pixels (for removed objects)."""

    shape: tuple[int, int]
    rect: Rect | None
    bits: PackedBits | None

    @classmethod
    def pack(cls, mask: np.ndarray) -> PackedMask:
        rect = bbox_of(mask)
        shape = (int(mask.shape[0]), int(mask.shape[1]))
        if rect is None:
            return cls(shape, None, None)
        return cls(shape, rect, PackedBits.pack(mask[rect.slices]))

    def unpack(self) -> np.ndarray:
        out = np.zeros(self.shape, dtype=bool)
        if self.rect is not None and self.bits is not None:
            out[self.rect.slices] = self.bits.unpack()
        return out

    @property
    def nbytes(self) -> int:
        return (self.bits.nbytes if self.bits is not None else 0) + _OVERHEAD
