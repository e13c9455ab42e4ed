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

from dis_annotator.annotation.geometry import Rect, bbox_of, changed_rect
from dis_annotator.annotation.layers import CODE_BITS, EditLayers

# Level 1: edits happen while the user waits; higher levels gain little on masks.
_ZLEVEL = 1
# Python object + bookkeeping per stored blob, so tiny patches are not counted as free.
_OVERHEAD = 64


@dataclass(frozen=True)
class PackedBits:
    """An H'×W' bool array as packed bits, zlib-compressed unless ``compressed`` is False.

    Packing is fast (~3 ms for 12 MP); compressing hard, hair-like masks is not (~90 ms
    for 12 MP). Commands created with ``compress=False`` keep raw packed bits (1 bit per
    pixel) and are compressed later by :meth:`compressed` — e.g. from a background
    thread (``zlib`` releases the GIL) — so the UI thread never waits for zlib.
    """

    shape: tuple[int, int]
    data: bytes
    compressed_: bool = True

    @classmethod
    def pack(cls, array: np.ndarray, compress: bool = True) -> PackedBits:
        arr = np.ascontiguousarray(array, dtype=bool)
        raw = np.packbits(arr).tobytes()
        shape = (int(arr.shape[0]), int(arr.shape[1]))
        if compress:
            return cls(shape, zlib.compress(raw, _ZLEVEL), True)
        return cls(shape, raw, False)

    def compressed(self) -> PackedBits:
        """This array with its bits compressed (itself when they already are)."""
        if self.compressed_:
            return self
        return PackedBits(self.shape, zlib.compress(self.data, _ZLEVEL), True)

    def unpack(self) -> np.ndarray:
        h, w = self.shape
        raw = zlib.decompress(self.data) if self.compressed_ else self.data
        bits = np.frombuffer(raw, dtype=np.uint8)
        return np.unpackbits(bits, count=h * w).reshape(h, w).view(bool)

    @property
    def nbytes(self) -> int:
        return len(self.data) + _OVERHEAD


class _OldNewPatch:
    """``rect`` with its ``old`` and ``new`` packed contents (bits or codes).

    ``old``/``new`` are swapped for compressed copies by :meth:`compact` (one attribute
    assignment each, so a concurrent ``apply_*`` sees either valid version).
    """

    __slots__ = ("rect", "old", "new")

    def compact(self) -> int:
        """Compress raw bits; returns the bytes saved."""
        before = self.nbytes
        self.old = self.old.compressed()
        self.new = self.new.compressed()
        return before - self.nbytes

    @property
    def nbytes(self) -> int:
        return self.old.nbytes + self.new.nbytes + _OVERHEAD


class MaskPatch(_OldNewPatch):
    """Old and new pixels of the rectangle that one edit changed in an H×W mask."""

    __slots__ = ()

    def __init__(self, rect: Rect, old: PackedBits, new: PackedBits) -> None:
        self.rect = rect
        self.old = old
        self.new = new

    @classmethod
    def between(cls, old: np.ndarray, new: np.ndarray, compress: bool = True) -> MaskPatch | None:
        """The patch turning full-size ``old`` into ``new``; None when they are equal."""
        rect = changed_rect(old, new)
        if rect is None:
            return None
        return cls(
            rect,
            PackedBits.pack(old[rect.slices], compress),
            PackedBits.pack(new[rect.slices], compress),
        )

    @classmethod
    def in_window(
        cls, mask: np.ndarray, rect: Rect, new_window: np.ndarray, compress: bool = True
    ) -> MaskPatch | None:
        """The patch writing ``new_window`` (rect-sized) into ``mask``, shrunk to what changes."""
        old_window = mask[rect.slices]
        changed = changed_rect(old_window, new_window)
        if changed is None:
            return None
        inner = changed.slices
        return cls(
            changed.offset(rect.x0, rect.y0),
            PackedBits.pack(old_window[inner], compress),
            PackedBits.pack(new_window[inner], compress),
        )

    def apply_new(self, mask: np.ndarray) -> None:
        mask[self.rect.slices] = self.new.unpack()

    def apply_old(self, mask: np.ndarray) -> None:
        mask[self.rect.slices] = self.old.unpack()

    def __repr__(self) -> str:
        return f"MaskPatch({self.rect}, {self.nbytes} B)"


class PackedMask:
    """A whole H×W mask stored as its bounding box's packed pixels (for removed objects)."""

    __slots__ = ("shape", "rect", "bits")

    def __init__(self, shape: tuple[int, int], rect: Rect | None, bits: PackedBits | None):
        self.shape = shape
        self.rect = rect
        self.bits = bits

    @classmethod
    def pack(cls, mask: np.ndarray, compress: bool = True) -> PackedMask:
        rect = bbox_of(mask)
        shape = (int(mask.shape[0]), int(mask.shape[1]))
        if rect is None:
            return cls(shape, None, None)
        return cls(shape, rect, PackedBits.pack(mask[rect.slices], compress))

    def unpack(self) -> np.ndarray:
        out = np.zeros(self.shape, dtype=bool)
        bits = self.bits
        if self.rect is not None and bits is not None:
            out[self.rect.slices] = bits.unpack()
        return out

    def compact(self) -> int:
        if self.bits is None:
            return 0
        before = self.nbytes
        self.bits = self.bits.compressed()
        return before - self.nbytes

    @property
    def nbytes(self) -> int:
        return (self.bits.nbytes if self.bits is not None else 0) + _OVERHEAD


class PackedCodes:
    """An H'×W' uint8 array of small codes (``nbits`` low bits used), stored as its bit
    planes stacked into one :class:`PackedBits`: ``nbits`` bits per pixel before
    compression."""

    __slots__ = ("shape", "nbits", "bits")

    def __init__(self, shape: tuple[int, int], nbits: int, bits: PackedBits) -> None:
        self.shape = shape
        self.nbits = nbits
        self.bits = bits

    @classmethod
    def pack(cls, codes: np.ndarray, nbits: int, compress: bool = True) -> PackedCodes:
        c = np.asarray(codes, dtype=np.uint8)
        shape = (int(c.shape[0]), int(c.shape[1]))
        planes = np.concatenate([(c & (1 << b)) != 0 for b in range(nbits)], axis=0)
        return cls(shape, nbits, PackedBits.pack(planes, compress))

    def unpack(self) -> np.ndarray:
        h, w = self.shape
        planes = self.bits.unpack().view(np.uint8)
        out = np.zeros((h, w), np.uint8)
        for b in range(self.nbits):
            out |= planes[b * h : (b + 1) * h] << b
        return out

    def compressed(self) -> PackedCodes:
        return PackedCodes(self.shape, self.nbits, self.bits.compressed())

    @property
    def nbytes(self) -> int:
        return self.bits.nbytes


class CodePatch(_OldNewPatch):
    """Old and new codes of the rectangle that one edit changed in an object's edit
    layers (:class:`~dis_annotator.annotation.layers.EditLayers`); like :class:`MaskPatch`,
    absolute on both sides, so applying either is idempotent."""

    __slots__ = ()

    def __init__(self, rect: Rect, old: PackedCodes, new: PackedCodes) -> None:
        self.rect = rect
        self.old = old
        self.new = new

    @classmethod
    def between(
        cls, rect: Rect, old: np.ndarray, new: np.ndarray, nbits: int, compress: bool = True
    ) -> CodePatch | None:
        """The patch turning codes ``old`` into ``new`` (both over image ``rect``), shrunk
        to what changes; None when nothing does."""
        changed = bbox_of(old != new)
        if changed is None:
            return None
        inner = changed.slices
        return cls(
            changed.offset(rect.x0, rect.y0),
            PackedCodes.pack(old[inner], nbits, compress),
            PackedCodes.pack(new[inner], nbits, compress),
        )

    def __repr__(self) -> str:
        return f"CodePatch({self.rect}, {self.nbytes} B)"


class PackedLayers:
    """An object's edit layers kept by a command (removed objects): each storage tile's
    edited box, its codes packed."""

    __slots__ = ("tiles",)

    def __init__(self, edits: EditLayers, compress: bool = True) -> None:
        self.tiles = [(box, PackedCodes.pack(codes, CODE_BITS, compress)) for box, codes in edits.tiles()]

    def unpack(self) -> EditLayers:
        out = EditLayers()
        for box, codes in self.tiles:
            out.write(box, codes.unpack())
        return out

    def compact(self) -> int:
        before = self.nbytes
        self.tiles = [(box, codes.compressed()) for box, codes in self.tiles]
        return before - self.nbytes

    @property
    def nbytes(self) -> int:
        return sum(codes.nbytes for _, codes in self.tiles) + (_OVERHEAD if self.tiles else 0)
