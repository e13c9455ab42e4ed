"""The annotation of one image: ordered objects, each with a full-resolution mask.

The H×W bool mask of each object is what the user sees and gets: overlays, exports and
sidecar PNGs are derived from it. It is composed — the model result plus the pixels the
user painted minus those erased — and the object's :class:`EditLayers` keep the manual
part, so a new model result replaces only the model part (docs/adr/0130). Masks are edited **in place** by the commands in
:mod:`dis_annotator.annotation.commands`, so a mask array handed out stays the live mask;
take :meth:`Document.snapshot` before handing a document to another thread.

Masks in a document are **read-only** numpy arrays: only :meth:`Document.editing_mask`
(used by the commands) unlocks them, and it gives the mask a new ``mask_token``. An
accidental ``obj.mask[...] = ...`` raises instead of silently corrupting the undo
history, and the token lets the sidecar skip re-hashing unchanged masks.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dis_annotator.annotation.geometry import Rect, bbox_of
from dis_annotator.annotation.layers import EditLayers
from dis_annotator.annotation.palette import Color, next_color
from dis_annotator.engine.types import MaskOutput, Prompt


def new_object_id() -> str:
    """12 hex digits: unique enough per image, short enough for file names."""
    return uuid.uuid4().hex[:12]


_tokens = itertools.count(1)


def next_mask_token() -> int:
    """A process-wide unique number: equal tokens mean identical mask content."""
    return next(_tokens)


def owned_mask(mask: np.ndarray) -> np.ndarray:
    """``mask`` as a C-contiguous bool array owning its memory (copied when needed), so
    its ``writeable`` flag can be toggled."""
    m = np.asarray(mask)
    if m.dtype == np.bool_ and m.flags.c_contiguous and m.flags.owndata:
        return m
    return np.array(m, dtype=bool, order="C", copy=True)


@dataclass(eq=False)  # identity equality: comparing masks element-wise is never meant
class ObjectRecord:
    """One object: its H×W bool mask (full resolution), how it was made, how it is shown.

    ``mask`` is the composed mask; ``edits`` its manual layers (painted / erased pixels,
    region-based), which every model result keeps (docs/adr/0130).

    ``stage_output`` is runtime only (never saved): the last pipeline output for this
    object with ``mask`` aliased to the live mask, handed back as ``Request.previous``
    so a corrector continues from where it stopped. See :meth:`Document.previous_output`.
    ``mask_token`` changes whenever the pixels change (see :meth:`Document.editing_mask`).
    """

    id: str
    label: str
    color: Color
    mask: np.ndarray
    visible: bool = True
    prompt: Prompt = field(default_factory=Prompt)
    provenance: dict[str, Any] = field(default_factory=dict)
    stage_output: MaskOutput | None = None
    mask_token: int = field(default_factory=next_mask_token, compare=False, repr=False)
    edits: EditLayers = field(default_factory=EditLayers)

    @property
    def area(self) -> int:
        return int(np.count_nonzero(self.mask))

    def bbox(self) -> Rect | None:
        return bbox_of(self.mask)


@dataclass(frozen=True)
class Change:
    """What a command changed, for listeners (e.g. the canvas repaints only ``rect``).

    ``kind``: ``"objects"`` (added, removed, moved), ``"mask"`` (pixels in ``rect``
    changed; None = anywhere), ``"meta"`` (label, colour, visibility, prompt, provenance).
    """

    kind: str
    obj_id: str | None = None
    rect: Rect | None = None


Listener = Callable[[Change], None]


class Document:
    """The annotation of one image.

    ``revision`` grows with every applied change (redo or undo); ``dirty`` says whether
    it differs from the last saved revision (:meth:`mark_saved`).
    """

    def __init__(
        self,
        image_path: str | Path,
        width: int,
        height: int,
        image_key: str | None = None,
    ) -> None:
        if width <= 0 or height <= 0:
            raise ValueError(f"image size must be positive, got {width}x{height}")
        self.image_path = Path(image_path)
        self.width = int(width)
        self.height = int(height)
        self.image_key = image_key
        self.objects: list[ObjectRecord] = []
        self.revision = 0
        self.saved_revision = 0
        self._listeners: list[Listener] = []

    # -- lookup ---------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` — the shape of every mask."""
        return (self.height, self.width)

    def __len__(self) -> int:
        return len(self.objects)

    def __iter__(self) -> Iterator[ObjectRecord]:
        return iter(self.objects)

    def ids(self) -> list[str]:
        return [o.id for o in self.objects]

    def find(self, obj_id: str) -> ObjectRecord | None:
        for o in self.objects:
            if o.id == obj_id:
                return o
        return None

    def get(self, obj_id: str) -> ObjectRecord:
        obj = self.find(obj_id)
        if obj is None:
            raise KeyError(f"no object {obj_id!r} in {self.image_path.name}")
        return obj

    def index_of(self, obj_id: str) -> int:
        for i, o in enumerate(self.objects):
            if o.id == obj_id:
                return i
        raise KeyError(f"no object {obj_id!r} in {self.image_path.name}")

    # -- derived --------------------------------------------------------------------
    def empty_mask(self) -> np.ndarray:
        return np.zeros(self.shape, dtype=bool)

    def union_mask(self, visible_only: bool = False) -> np.ndarray:
        """H×W bool: pixels in any object (only visible ones when ``visible_only``)."""
        out = self.empty_mask()
        for o in self.objects:
            if o.visible or not visible_only:
                out |= o.mask
        return out

    def has_masks(self) -> bool:
        return any(o.mask.any() for o in self.objects)

    def new_object(
        self,
        label: str | None = None,
        prompt: Prompt | None = None,
        mask: np.ndarray | None = None,
        provenance: dict[str, Any] | None = None,
    ) -> ObjectRecord:
        """A fresh record (not yet in the document: push ``AddObject(record)``).

        The label defaults to ``object <n>``, the colour to the first unused palette colour.
        """
        if mask is None:
            mask = self.empty_mask()
        else:
            mask = self.check_mask(mask).copy()
        if label is None:
            taken = {o.label for o in self.objects}
            n = len(self.objects) + 1
            while f"object {n}" in taken:
                n += 1
            label = f"object {n}"
        return ObjectRecord(
            id=new_object_id(),
            label=label,
            color=next_color(o.color for o in self.objects),
            mask=mask,
            prompt=prompt if prompt is not None else Prompt(),
            provenance=dict(provenance or {}),
        )

    def check_mask(self, mask: np.ndarray) -> np.ndarray:
        """``mask`` as H×W bool, or ``ValueError`` when its size is not the image's."""
        m = np.asarray(mask)
        if m.shape != self.shape:
            raise ValueError(f"mask is {m.shape[::-1]} but the image is {self.width}x{self.height}")
        return m if m.dtype == np.bool_ else m.astype(bool)

    def previous_output(self, obj_id: str, copy_mask: bool = True) -> MaskOutput | None:
        """What to pass as ``Request.previous`` for a follow-up prompt on ``obj_id``.

        The last stage output (its stage-private ``state``) with ``mask`` = the object's
        current mask (brush edits included); a plain ``MaskOutput`` of the current mask
        when there is no stage output but pixels; None for an empty object. The mask is
        a copy by default, because the request runs on another thread while the live
        mask may be edited in place; ``copy_mask=False`` hands out the read-only live mask.
        """
        obj = self.get(obj_id)
        if obj.stage_output is None and not obj.mask.any():
            return None
        mask = obj.mask.copy() if copy_mask else obj.mask
        if obj.stage_output is not None:
            return dataclasses.replace(obj.stage_output, mask=mask)
        return MaskOutput(mask=mask)

    # -- change tracking ---------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self.revision != self.saved_revision

    def mark_saved(self, revision: int | None = None) -> None:
        """Record that ``revision`` (default: the current one) is on disk."""
        self.saved_revision = self.revision if revision is None else int(revision)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def changed(self, change: Change) -> None:
        """Called by commands after every change: bumps ``revision``, tells listeners."""
        self.revision += 1
        for listener in list(self._listeners):
            listener(change)

    # -- raw edits (commands call these; they do not bump the revision) ------------------
    def insert(self, index: int, obj: ObjectRecord) -> None:
        """Put ``obj`` at ``index``; its mask becomes an owned, read-only array."""
        if self.find(obj.id) is not None:
            raise ValueError(f"object {obj.id!r} is already in the document")
        obj.mask = owned_mask(self.check_mask(obj.mask))
        if not obj.edits.consistent_with(obj.mask):
            raise ValueError(f"the edit layers of {obj.id!r} do not match its mask")
        obj.mask.flags.writeable = False
        # A fresh token: whatever happened to this record before, its pixels are new here.
        obj.mask_token = next_mask_token()
        self.objects.insert(index, obj)

    @contextlib.contextmanager
    def editing_mask(self, obj_id: str) -> Iterator[np.ndarray]:
        """The object's mask, writable inside the ``with`` block; gets a new token after.

        For commands: a write here that is not recorded by a command is not undoable.
        """
        obj = self.get(obj_id)
        mask = obj.mask
        mask.flags.writeable = True
        try:
            yield mask
        finally:
            mask.flags.writeable = False
            obj.mask_token = next_mask_token()

    def pop(self, obj_id: str) -> tuple[int, ObjectRecord]:
        i = self.index_of(obj_id)
        return i, self.objects.pop(i)

    # -- copies ---------------------------------------------------------------------
    def snapshot(self) -> Document:
        """An independent copy (masks and edit layers copied, no listeners, no stage outputs).

        Use it to save or export from another thread while the user keeps editing.
        """
        doc = Document(self.image_path, self.width, self.height, self.image_key)
        doc.revision = self.revision
        doc.saved_revision = self.saved_revision
        for o in self.objects:
            mask = o.mask.copy()
            mask.flags.writeable = False
            # same token: same pixels (lets a background save reuse cached digests)
            doc.objects.append(
                dataclasses.replace(
                    o,
                    mask=mask,
                    provenance=copy.deepcopy(o.provenance),
                    stage_output=None,
                    mask_token=o.mask_token,
                    edits=o.edits.copy(),
                )
            )
        return doc
