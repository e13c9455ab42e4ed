"""Manual edit layers of one object: the pixels the user painted in and erased.

An object's mask is composed, never overwritten (docs/adr/0130)::

    mask = model result + painted − erased        (a later stroke wins)

Per pixel the layers hold one code. A brush stroke makes its pixels ``PAINTED``, an
eraser stroke ``ERASED``, whatever they were before — that is what "a later stroke over
the same pixels wins" means. Under every edited pixel the code also keeps the model's
value (bit ``MODEL``), so "Clear manual edits" restores the model result exactly. On
every other pixel the object's mask *is* the model result, so the model is never stored
twice: a new model result replaces the mask outside the edited pixels and the ``MODEL``
bits under them (:func:`compose`, ``SetMask``).

Storage is region-based: one uint8 code window over the bounding rectangle of the
edited pixels (an object without edits holds a 0×0 window). Codes are always canonical:
``0`` (not edited), ``PAINTED`` or ``ERASED``, each with or without ``MODEL``.

Commands change the layers only through :meth:`EditLayers.write` (which bumps
``token``); everything else reads.
"""

from __future__ import annotations

import itertools

import numpy as np

from dis_annotator.annotation.geometry import EMPTY_RECT, Rect, bbox_of

PAINTED = np.uint8(1)
ERASED = np.uint8(2)
MODEL = np.uint8(4)
EDITED = np.uint8(PAINTED | ERASED)
CODE_BITS = 3  # bits a code uses (the undo history packs this many bit planes)

_tokens = itertools.count(1)


class EditLayers:
    """Painted / erased pixels of one object (and the model's value under them).

    ``rect``: the window's place in the image (``EMPTY_RECT`` when there are no edits);
    ``codes``: rect-sized uint8 codes (see the module docstring). Not thread-safe: the
    thread that edits the document owns it; :meth:`copy` for other threads.
    """

    __slots__ = ("rect", "codes", "token")

    def __init__(self, rect: Rect = EMPTY_RECT, codes: np.ndarray | None = None) -> None:
        if codes is None:
            codes = np.zeros((0, 0), np.uint8)
        codes = np.asarray(codes, dtype=np.uint8)
        if codes.shape != (rect.height, rect.width):
            raise ValueError(f"codes {codes.shape} do not fit {rect}")
        self.rect = rect
        self.codes = codes
        self.token = next(_tokens)

    # -- building -------------------------------------------------------------------------
    @classmethod
    def from_planes(
        cls, rect: Rect, painted: np.ndarray, erased: np.ndarray, model: np.ndarray
    ) -> EditLayers:
        """Layers from three rect-sized bool windows; ``ValueError`` when a pixel is both
        painted and erased (the sidecar stores the planes, docs/adr/0131)."""
        p, e, m = (np.asarray(a, dtype=bool) for a in (painted, erased, model))
        shape = (rect.height, rect.width)
        if p.shape != shape or e.shape != shape or m.shape != shape:
            raise ValueError(f"planes {p.shape}, {e.shape}, {m.shape} do not fit {rect}")
        if (p & e).any():
            raise ValueError("a pixel is both painted and erased")
        codes = p * PAINTED | e * ERASED | ((p | e) & m) * MODEL
        out = cls()
        out.write(rect, codes.astype(np.uint8))
        return out

    def copy(self) -> EditLayers:
        out = EditLayers(self.rect, self.codes.copy())
        out.token = self.token  # same content, same token
        return out

    # -- reading --------------------------------------------------------------------------
    def __bool__(self) -> bool:
        """True when some pixel is painted or erased (the window is kept tight)."""
        return not self.rect.empty

    def planes(self) -> tuple[Rect, np.ndarray, np.ndarray, np.ndarray]:
        """``(rect, painted, erased, model)``: rect-sized bool windows."""
        c = self.codes
        return self.rect, (c & PAINTED) != 0, (c & ERASED) != 0, (c & MODEL) != 0

    def counts(self) -> tuple[int, int]:
        """``(painted pixels, erased pixels)``."""
        c = self.codes
        return int(np.count_nonzero(c & PAINTED)), int(np.count_nonzero(c & ERASED))

    def window(self, rect: Rect) -> np.ndarray:
        """The codes over any image ``rect`` (0 outside the layers), a new array."""
        out = np.zeros((rect.height, rect.width), np.uint8)
        inter = self.rect.intersection(rect)
        if not inter.empty:
            src = inter.offset(-self.rect.x0, -self.rect.y0)
            dst = inter.offset(-rect.x0, -rect.y0)
            out[dst.slices] = self.codes[src.slices]
        return out

    def apply_to(self, window: np.ndarray, rect: Rect) -> np.ndarray:
        """Compose in place: ``window`` (bool, the pixels of image ``rect``) gets painted
        pixels set and erased pixels cleared. Returns ``window``."""
        inter = self.rect.intersection(rect)
        if inter.empty:
            return window
        codes = self.codes[inter.offset(-self.rect.x0, -self.rect.y0).slices]
        sub = window[inter.offset(-rect.x0, -rect.y0).slices]
        sub |= (codes & PAINTED) != 0
        sub &= (codes & ERASED) == 0
        return window

    def model_of(self, mask: np.ndarray) -> np.ndarray:
        """The model result behind ``mask`` (the object's composed H×W mask), a new array."""
        out = np.array(mask, dtype=bool, copy=True)
        if self:
            c = self.codes
            sub = out[self.rect.slices]
            edited = (c & EDITED) != 0
            sub[edited] = (c[edited] & MODEL) != 0
        return out

    def consistent_with(self, mask: np.ndarray) -> bool:
        """Whether ``mask`` (H×W) shows these layers: painted pixels set, erased clear, and
        the window inside the image."""
        h, w = mask.shape
        if not self:
            return True
        if not Rect(0, 0, w, h).contains(self.rect):
            return False
        sub = mask[self.rect.slices]
        c = self.codes
        return bool(sub[(c & PAINTED) != 0].all() and not sub[(c & ERASED) != 0].any())

    # -- the rule, on windows (pure: the commands turn them into undoable patches) ----------
    @staticmethod
    def stroke(codes: np.ndarray, composed: np.ndarray, stroke: np.ndarray, paint: bool) -> np.ndarray:
        """New codes after a stroke: ``codes`` and ``composed`` (the object's mask) over the
        stroke's window, ``stroke`` its bool pixels. The stroke's pixels become PAINTED
        (``paint``) or ERASED; a pixel edited before keeps its MODEL bit, a fresh one takes
        it from the mask (which is the model result there)."""
        model = np.where((codes & EDITED) != 0, codes & MODEL, composed * MODEL).astype(np.uint8)
        return np.where(stroke, model | (PAINTED if paint else ERASED), codes).astype(np.uint8)

    @staticmethod
    def with_model(codes: np.ndarray, model: np.ndarray) -> np.ndarray:
        """New codes for a new model result (``model``: bool, the codes' window): the MODEL
        bit under each edited pixel follows it; the edits stay."""
        edited = codes & EDITED
        return (edited | (edited != 0) * (model * MODEL)).astype(np.uint8)

    # -- writing (commands only) ------------------------------------------------------------
    def write(self, rect: Rect, codes: np.ndarray) -> None:
        """Set the codes over image ``rect`` (growing the window as needed), then shrink the
        window to the edited pixels."""
        if rect.empty:
            return
        if not self.rect.contains(rect):
            grown = rect if self.rect.empty else self.rect.union(rect)
            buf = self.window(grown)
            self.rect, self.codes = grown, buf
        self.codes[rect.offset(-self.rect.x0, -self.rect.y0).slices] = codes
        self._trim()
        self.token = next(_tokens)

    def _trim(self) -> None:
        box = bbox_of(self.codes != 0)
        if box is None:
            self.rect, self.codes = EMPTY_RECT, np.zeros((0, 0), np.uint8)
        elif (box.width, box.height) != (self.rect.width, self.rect.height):
            self.codes = self.codes[box.slices].copy()
            self.rect = box.offset(self.rect.x0, self.rect.y0)

    @property
    def nbytes(self) -> int:
        return int(self.codes.nbytes)

    def __repr__(self) -> str:
        p, e = self.counts()
        return f"EditLayers({self.rect}, painted={p}, erased={e})"


def compose(model: np.ndarray, edits: EditLayers | None) -> np.ndarray:
    """The object's mask for a model result: ``model`` (H×W bool) plus the painted pixels
    minus the erased ones — the rule the document applies to every result. A new array
    (``model`` untouched). The one function scripts need: ``dis_annotator.segment(...,
    edits=obj.edits)`` uses it, and ``SetMask`` applies the same rule in place."""
    out = np.array(model, dtype=bool, copy=True)
    if edits:
        h, w = out.shape
        if not Rect(0, 0, w, h).contains(edits.rect):
            raise ValueError(f"edit layers {edits.rect} lie outside the {w}x{h} mask")
        edits.apply_to(out[edits.rect.slices], edits.rect)
    return out
