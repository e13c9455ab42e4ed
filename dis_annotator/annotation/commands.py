"""Undoable edits of a :class:`Document`, free of Qt (the UI wraps them in ``QUndoCommand``).

Contract (the same as ``QUndoCommand``'s): a command is created, then ``redo(doc)`` is
called (``QUndoStack.push`` does this), then ``undo``/``redo`` alternate on a document in
the state the previous call left it. The first ``redo`` captures what it needs from the
document (old label, old pixels); mask commands then keep only a :class:`MaskPatch` per
edit — the changed rectangle's old and new pixels, packed and compressed — and drop the
full-size input, so ``nbytes`` stays proportional to the changed region (docs/adr/0061).
Edits of an object's manual layers are kept the same way, as :class:`CodePatch` es.

Masks are composed (docs/adr/0130): ``SetMask`` (a model result) replaces only the model
part — painted pixels stay set, erased ones clear; ``PaintMask`` (a stroke) records its
pixels in the layers; ``ClearEdits`` gives the mask back to the model.

Mask edits write into the object's existing array (no full-size copies per edit).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from dis_annotator.annotation.document import Change, Document, ObjectRecord, next_mask_token
from dis_annotator.annotation.geometry import EMPTY_RECT, Rect, bbox_of, changed_rect
from dis_annotator.annotation.layers import CODE_BITS, EDITED, MODEL, EditLayers
from dis_annotator.annotation.packed import CodePatch, MaskPatch, PackedLayers, PackedMask
from dis_annotator.annotation.palette import Color
from dis_annotator.engine.types import MaskOutput, Prompt

# Rough fixed cost of a command object, so a history of no-op commands is not "free".
_BASE_BYTES = 256

Region = np.ndarray | tuple[Sequence[int], np.ndarray]


class Command:
    """Base class: ``redo(doc)``, ``undo(doc)``, ``text``, ``nbytes``, ``merge_with``.

    ``merge_key``: commands of the same class, object and non-None key may merge (one
    brush drag = one undo step); the Qt wrapper maps it to ``QUndoCommand.id()``.
    ``obsolete`` turns True when the first ``redo`` changed nothing (Qt: ``setObsolete``).
    """

    text: str = ""
    merge_key: str | None = None

    def __init__(self) -> None:
        self.obsolete = False

    def redo(self, doc: Document) -> None:
        raise NotImplementedError

    def undo(self, doc: Document) -> None:
        raise NotImplementedError

    @property
    def nbytes(self) -> int:
        """Memory this command holds (compressed pixels and fixed overhead), in bytes."""
        return _BASE_BYTES

    def merge_with(self, other: Command) -> bool:
        """Absorb ``other`` (already applied after ``self``); True when merged."""
        return False

    def compact(self) -> int:
        """Compress pixels kept raw (``compress=False``); returns bytes saved. Safe to call
        from another thread while the command is undone/redone (see :class:`Compactor`)."""
        return 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.text!r} {self.nbytes} B>"


def _strip(record: ObjectRecord) -> ObjectRecord:
    """The record without pixels or runtime state (the pixels go into a PackedMask and
    :class:`PackedLayers`)."""
    return dataclasses.replace(
        record,
        mask=np.zeros((0, 0), dtype=bool),
        provenance=copy.deepcopy(record.provenance),
        stage_output=None,
        edits=EditLayers(),
    )


def _rebuild(proto: ObjectRecord, packed: PackedMask, edits: PackedLayers | None) -> ObjectRecord:
    return dataclasses.replace(
        proto,
        mask=packed.unpack(),
        provenance=copy.deepcopy(proto.provenance),
        mask_token=next_mask_token(),
        edits=edits.unpack() if edits is not None else EditLayers(),
    )


class AddObject(Command):
    """Insert ``record`` at ``index`` (default: last). The first redo inserts the very
    record passed in, so a caller holding it sees the live object."""

    def __init__(
        self,
        record: ObjectRecord,
        index: int | None = None,
        text: str | None = None,
        compress: bool = True,
    ):
        super().__init__()
        self._compress = compress
        self.obj_id = record.id
        self.text = text or f"Add {record.label}"
        self._record: ObjectRecord | None = record
        self._index = index
        self._proto = _strip(record)
        self._packed: PackedMask | None = None
        self._edits: PackedLayers | None = None

    def redo(self, doc: Document) -> None:
        index = len(doc.objects) if self._index is None else self._index
        if self._record is not None:
            record, self._record = self._record, None
            self._packed = PackedMask.pack(doc.check_mask(record.mask), self._compress)
            self._edits = PackedLayers(record.edits, self._compress)
        else:
            assert self._packed is not None
            record = _rebuild(self._proto, self._packed, self._edits)
        doc.insert(index, record)
        self._index = index
        doc.changed(Change("objects", self.obj_id))

    def undo(self, doc: Document) -> None:
        doc.pop(self.obj_id)
        doc.changed(Change("objects", self.obj_id))

    def compact(self) -> int:
        packed, edits = self._packed, self._edits
        return (packed.compact() if packed is not None else 0) + (edits.compact() if edits else 0)

    @property
    def nbytes(self) -> int:
        if self._record is not None:
            return _BASE_BYTES + int(self._record.mask.nbytes) + self._record.edits.nbytes
        edits = self._edits.nbytes if self._edits is not None else 0
        return _BASE_BYTES + (self._packed.nbytes if self._packed else 0) + edits


class DeleteObject(Command):
    """Remove an object; undo puts it back at the same index with identical pixels."""

    def __init__(self, obj_id: str, text: str | None = None, compress: bool = True):
        super().__init__()
        self._compress = compress
        self.obj_id = obj_id
        self.text = text or "Delete object"
        self._index: int | None = None
        self._proto: ObjectRecord | None = None
        self._packed: PackedMask | None = None
        self._edits: PackedLayers | None = None

    def redo(self, doc: Document) -> None:
        index, record = doc.pop(self.obj_id)
        if self._proto is None:
            self._proto = _strip(record)
            self._packed = PackedMask.pack(record.mask, self._compress)
            self._edits = PackedLayers(record.edits, self._compress)
            if self.text == "Delete object":
                self.text = f"Delete {record.label}"
        self._index = index
        doc.changed(Change("objects", self.obj_id))

    def undo(self, doc: Document) -> None:
        assert self._proto is not None and self._packed is not None and self._index is not None
        doc.insert(self._index, _rebuild(self._proto, self._packed, self._edits))
        doc.changed(Change("objects", self.obj_id))

    def compact(self) -> int:
        packed, edits = self._packed, self._edits
        return (packed.compact() if packed is not None else 0) + (edits.compact() if edits else 0)

    @property
    def nbytes(self) -> int:
        edits = self._edits.nbytes if self._edits is not None else 0
        return _BASE_BYTES + (self._packed.nbytes if self._packed else 0) + edits


class _SetField(Command):
    """Set one plain attribute of an object (label, visible, colour)."""

    field_name = ""

    def __init__(self, obj_id: str, value: Any, text: str):
        super().__init__()
        self.obj_id = obj_id
        self.text = text
        self._new = value
        self._old: Any = None
        self._captured = False

    def redo(self, doc: Document) -> None:
        obj = doc.get(self.obj_id)
        if not self._captured:
            self._old = getattr(obj, self.field_name)
            self._captured = True
            self.obsolete = self._old == self._new
        setattr(obj, self.field_name, self._new)
        doc.changed(Change("meta", self.obj_id))

    def undo(self, doc: Document) -> None:
        setattr(doc.get(self.obj_id), self.field_name, self._old)
        doc.changed(Change("meta", self.obj_id))


class RenameObject(_SetField):
    field_name = "label"

    def __init__(self, obj_id: str, label: str, text: str | None = None):
        super().__init__(obj_id, str(label), text or f"Rename to {label}")


class SetObjectVisible(_SetField):
    field_name = "visible"

    def __init__(self, obj_id: str, visible: bool, text: str | None = None):
        super().__init__(obj_id, bool(visible), text or ("Show object" if visible else "Hide object"))


class SetObjectColor(_SetField):
    field_name = "color"

    def __init__(self, obj_id: str, color: Color, text: str | None = None):
        rgb = tuple(int(c) for c in color)
        if len(rgb) != 3:
            raise ValueError(f"colour must be (r, g, b), got {color!r}")
        super().__init__(obj_id, rgb, text or "Change colour")


class MoveObject(Command):
    """Move an object to ``index`` in the object order (export numbers follow it)."""

    def __init__(self, obj_id: str, index: int, text: str | None = None):
        super().__init__()
        self.obj_id = obj_id
        self.text = text or "Reorder objects"
        self._to = int(index)
        self._from: int | None = None

    def redo(self, doc: Document) -> None:
        i, record = doc.pop(self.obj_id)
        if self._from is None:
            self._from = i
            self._to = max(0, min(self._to, len(doc.objects)))
            self.obsolete = self._from == self._to
        doc.objects.insert(self._to, record)
        doc.changed(Change("objects", self.obj_id))

    def undo(self, doc: Document) -> None:
        assert self._from is not None
        _, record = doc.pop(self.obj_id)
        doc.objects.insert(self._from, record)
        doc.changed(Change("objects", self.obj_id))


class _MaskEdit(Command):
    """Shared machinery: patches of the mask and of the edit layers, applied forward on
    redo, backward on undo (the two stores are independent, so only each list's own
    order matters)."""

    def __init__(self, obj_id: str, text: str, merge_key: str | None, compress: bool):
        super().__init__()
        self._compress = compress
        self.obj_id = obj_id
        self.text = text
        self.merge_key = merge_key
        self.patches: list[MaskPatch] = []
        self.layer_patches: list[CodePatch] = []
        self._applied_once = False

    def _write_mask(self, doc: Document, rect: Rect, window: np.ndarray) -> None:
        """Record and apply: the mask's pixels over ``rect`` become ``window``."""
        patch = MaskPatch.in_window(doc.get(self.obj_id).mask, rect, window, self._compress)
        if patch is not None:
            self.patches.append(patch)
            # write from the input, not the patch: no decompression on first apply
            with doc.editing_mask(self.obj_id) as mask:
                mask[rect.slices] = window

    def _write_codes(self, doc: Document, rect: Rect, old: np.ndarray, new: np.ndarray) -> None:
        """Record and apply: the edit-layer codes over ``rect`` go from ``old`` to ``new``."""
        patch = CodePatch.between(rect, old, new, CODE_BITS, self._compress)
        if patch is not None:
            self.layer_patches.append(patch)
            doc.get(self.obj_id).edits.write(rect, new)

    @property
    def empty(self) -> bool:
        return not self.patches and not self.layer_patches

    @property
    def rect(self) -> Rect:
        """The union of the changed rectangles (empty when no pixel changed)."""
        out = EMPTY_RECT
        for p in self.patches:
            out = out.union(p.rect)
        return out

    def _notify_mask(self, doc: Document) -> None:
        rect = self.rect
        doc.changed(Change("mask", self.obj_id, None if rect.empty else rect))

    def _replay(self, doc: Document) -> None:
        edits = doc.get(self.obj_id).edits
        for lp in list(self.layer_patches):
            edits.write(lp.rect, lp.new.unpack())
        if not self.patches:
            return
        with doc.editing_mask(self.obj_id) as mask:
            for p in list(self.patches):
                p.apply_new(mask)

    def _rewind(self, doc: Document) -> None:
        edits = doc.get(self.obj_id).edits
        for lp in reversed(list(self.layer_patches)):
            edits.write(lp.rect, lp.old.unpack())
        if not self.patches:
            return
        with doc.editing_mask(self.obj_id) as mask:
            for p in reversed(list(self.patches)):
                p.apply_old(mask)

    def undo(self, doc: Document) -> None:
        self._rewind(doc)
        self._notify_mask(doc)

    def _absorb(self, other: _MaskEdit) -> None:
        self.patches.extend(other.patches)
        self.layer_patches.extend(other.layer_patches)

    def _mergeable(self, other: Command) -> bool:
        return (
            type(other) is type(self)
            and self.merge_key is not None
            and other.merge_key == self.merge_key
            and getattr(other, "obj_id", None) == self.obj_id
        )

    def compact(self) -> int:
        return sum(p.compact() for p in [*self.patches, *self.layer_patches])

    @property
    def nbytes(self) -> int:
        return _BASE_BYTES + sum(p.nbytes for p in [*self.patches, *self.layer_patches])


class SetMask(_MaskEdit):
    """A model result for an object, and optionally its prompt and provenance.

    ``new_mask`` (H×W bool, the model's output) replaces the model part only: the object's
    mask becomes ``new_mask`` plus its painted pixels minus its erased ones, and the
    edit layers stay (docs/adr/0130). ``new_mask`` None changes only the
    prompt/provenance (e.g. record a click before the result arrives). ``stage_output`` (runtime only) becomes the object's
    ``stage_output`` on the first redo, with its mask aliased to the live mask; later
    undo/redo reset it to None (the history never holds full-size stage outputs), so the
    next request starts from the current mask (docs/adr/0061).
    """

    def __init__(
        self,
        obj_id: str,
        new_mask: np.ndarray | None,
        prompt: Prompt | None = None,
        provenance: dict[str, Any] | None = None,
        stage_output: MaskOutput | None = None,
        text: str = "Segment",
        merge_key: str | None = None,
        compress: bool = True,
    ):
        super().__init__(obj_id, text, merge_key, compress)
        self._pending: np.ndarray | None = new_mask
        self._stage_output = stage_output
        self._new_prompt = prompt
        self._old_prompt: Prompt | None = None
        self._new_prov = copy.deepcopy(provenance) if provenance is not None else None
        self._old_prov: dict[str, Any] | None = None

    def redo(self, doc: Document) -> None:
        obj = doc.get(self.obj_id)
        if not self._applied_once:
            self._applied_once = True
            if self._pending is not None:
                new = doc.check_mask(self._pending)
                self._pending = None
                if np.may_share_memory(new, obj.mask):
                    raise ValueError("SetMask needs a new array, not the object's live mask")
                self._apply_model(doc, obj, new)
            if self._new_prompt is not None:
                self._old_prompt = obj.prompt
            if self._new_prov is not None:
                self._old_prov = copy.deepcopy(obj.provenance)
            if self._stage_output is not None:
                obj.stage_output = dataclasses.replace(self._stage_output, mask=obj.mask)
                self._stage_output = None
            self.obsolete = (
                self.empty
                and (self._new_prompt is None or self._new_prompt == self._old_prompt)
                and (self._new_prov is None or self._new_prov == self._old_prov)
            )
        else:
            self._replay(doc)
            obj.stage_output = None
        if self._new_prompt is not None:
            obj.prompt = self._new_prompt
        if self._new_prov is not None:
            obj.provenance = copy.deepcopy(self._new_prov)
        self._notify_mask(doc)

    def undo(self, doc: Document) -> None:
        obj = doc.get(self.obj_id)
        self._rewind(doc)
        obj.stage_output = None
        if self._old_prompt is not None:
            obj.prompt = self._old_prompt
        if self._old_prov is not None:
            obj.provenance = copy.deepcopy(self._old_prov)
        self._notify_mask(doc)

    def _apply_model(self, doc: Document, obj: ObjectRecord, new: np.ndarray) -> None:
        edits = obj.edits
        # The composed mask can change only where the model result differs from it.
        rect = changed_rect(obj.mask, new)
        if rect is not None:
            window = new[rect.slices]
            if edits:
                window = edits.apply_to(window.copy(), rect)
            self._write_mask(doc, rect, window)
        for box, codes in edits.tiles():  # tile by tile: strokes may lie far apart
            self._write_codes(doc, box, codes, EditLayers.with_model(codes, new[box.slices]))

    def merge_with(self, other: Command) -> bool:
        """E.g. the refined result replacing the coarse one of the same request."""
        if not self._mergeable(other):
            return False
        assert isinstance(other, SetMask)
        self._absorb(other)
        if other._new_prompt is not None:
            if self._new_prompt is None:
                self._old_prompt = other._old_prompt
            self._new_prompt = other._new_prompt
        if other._new_prov is not None:
            if self._new_prov is None:
                self._old_prov = other._old_prov
            self._new_prov = other._new_prov
        self.obsolete = self.obsolete and other.obsolete
        return True

    @property
    def nbytes(self) -> int:
        pending = int(self._pending.nbytes) if self._pending is not None else 0
        return super().nbytes + pending


def _region_window(region: Region, shape: tuple[int, int]) -> tuple[Rect, np.ndarray]:
    """Normalise a full-size mask or a ``(bbox, window)`` pair to an in-image window."""
    if isinstance(region, tuple):
        bbox, window = region
        x0, y0, x1, y1 = (int(v) for v in bbox)
        window = np.asarray(window, dtype=bool)
        if window.shape != (y1 - y0, x1 - x0):
            raise ValueError(f"window {window.shape} does not match bbox {(x0, y0, x1, y1)}")
        h, w = shape
        cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if cx1 <= cx0 or cy1 <= cy0:
            return EMPTY_RECT, np.zeros((0, 0), dtype=bool)
        window = window[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
        return Rect(cx0, cy0, cx1, cy1), window
    full = np.asarray(region, dtype=bool)
    if full.shape != shape:
        raise ValueError(f"region is {full.shape} but masks are {shape}")
    rect = bbox_of(full)
    if rect is None:
        return EMPTY_RECT, np.zeros((0, 0), dtype=bool)
    return rect, full[rect.slices]


class PaintMask(_MaskEdit):
    """Brush (``value=True``) or eraser (``False``): set exactly the ``region`` pixels.

    The pixels also become painted (or erased) in the object's edit layers, so later
    model results keep them (docs/adr/0130).
    ``region`` is a full-size H×W bool mask or ``(bbox, window)`` as returned by
    :func:`~dis_annotator.annotation.brush.stroke_mask`. Consecutive strokes with the same
    non-None ``merge_key`` on the same object merge into one undo step.
    """

    def __init__(
        self,
        obj_id: str,
        region: Region,
        value: bool,
        text: str | None = None,
        merge_key: str | None = None,
        compress: bool = True,
    ):
        super().__init__(obj_id, text or ("Brush" if value else "Eraser"), merge_key, compress)
        self.value = bool(value)
        self._pending: Region | None = region

    def redo(self, doc: Document) -> None:
        if not self._applied_once:
            self._applied_once = True
            obj = doc.get(self.obj_id)
            assert self._pending is not None
            rect, window = _region_window(self._pending, doc.shape)
            self._pending = None
            if not rect.empty:
                old = obj.mask[rect.slices]
                new = (old | window) if self.value else (old & ~window)
                codes = obj.edits.window(rect)
                self._write_codes(doc, rect, codes, EditLayers.stroke(codes, old, window, self.value))
                self._write_mask(doc, rect, new)
            self.obsolete = self.empty
        else:
            self._replay(doc)
        self._notify_mask(doc)


    def merge_with(self, other: Command) -> bool:
        if not self._mergeable(other):
            return False
        assert isinstance(other, PaintMask)
        self._absorb(other)
        self.obsolete = self.empty
        return True

    @property
    def nbytes(self) -> int:
        pending = 0
        if self._pending is not None:
            pending = int(self._pending[1].nbytes if isinstance(self._pending, tuple) else self._pending.nbytes)
        return super().nbytes + pending


class ClearEdits(_MaskEdit):
    """"Clear manual edits": the object's mask becomes its model result again (the model's
    value under every painted or erased pixel) and its edit layers empty. Obsolete on an
    object without edits."""

    def __init__(self, obj_id: str, text: str = "Clear manual edits", compress: bool = True):
        super().__init__(obj_id, text, None, compress)

    def redo(self, doc: Document) -> None:
        if not self._applied_once:
            self._applied_once = True
            obj = doc.get(self.obj_id)
            for box, codes in obj.edits.tiles():  # tile by tile: strokes may lie far apart
                window = obj.mask[box.slices].copy()
                edited = (codes & EDITED) != 0
                window[edited] = (codes[edited] & MODEL) != 0
                self._write_mask(doc, box, window)
                self._write_codes(doc, box, codes, np.zeros_like(codes))
            self.obsolete = self.empty
        else:
            self._replay(doc)
        self._notify_mask(doc)

