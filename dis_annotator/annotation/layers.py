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

Storage is region-based: the codes live in sparse 64×64 tiles, and only tiles that hold
an edited pixel exist, so memory follows the stroked area, not the bounding box of
strokes spread over a large object (docs/adr/0130). ``rect`` is the tight bounding
rectangle of the edited pixels.

Commands change the layers only through :meth:`EditLayers.write` (which bumps
``token``); everything else reads.
"""

from __future__ import annotations

import itertools

import numpy as np

from dis_annotator.annotation.geometry import EMPTY_RECT, Rect

PAINTED = np.uint8(1)
ERASED = np.uint8(2)
MODEL = np.uint8(4)
EDITED = np.uint8(PAINTED | ERASED)
CODE_BITS = 3  # bits a code uses (the undo history packs this many bit planes)

_tokens = itertools.count(1)

TILE = 64  # tile side in pixels: small enough that a thin stroke allocates little


def _tiles_over(rect: Rect):
    """For every tile the image rectangle ``rect`` touches: ``((ty, tx), (tile slices,
    rect slices))`` of their overlap. Plain integers: this runs per brush segment."""
    x0, y0, x1, y1 = (int(v) for v in rect)
    if x1 <= x0 or y1 <= y0:
        return
    for ty in range(y0 // TILE, (y1 - 1) // TILE + 1):
        ty0 = ty * TILE
        a0, a1 = max(y0, ty0), min(y1, ty0 + TILE)
        for tx in range(x0 // TILE, (x1 - 1) // TILE + 1):
            tx0 = tx * TILE
            b0, b1 = max(x0, tx0), min(x1, tx0 + TILE)
            yield (ty, tx), (
                (slice(a0 - ty0, a1 - ty0), slice(b0 - tx0, b1 - tx0)),
                (slice(a0 - y0, a1 - y0), slice(b0 - x0, b1 - x0)),
            )


class EditLayers:
    """Painted / erased pixels of one object (and the model's value under them).

    ``rect``: the tight rectangle of the edited pixels (``EMPTY_RECT`` without edits);
    :attr:`codes` its codes (see the module docstring). Not thread-safe: the thread that
    edits the document owns it; :meth:`copy` for other threads.
    """

    __slots__ = ("_tiles", "_boxes", "rect", "token")

    def __init__(self, rect: Rect = EMPTY_RECT, codes: np.ndarray | None = None) -> None:
        self._tiles: dict[tuple[int, int], np.ndarray] = {}  # (ty, tx) -> TILE×TILE uint8
        # (ty, tx) -> (x0, y0, x1, y1): the edited pixels' box in the tile, image coordinates
        self._boxes: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        self.rect = EMPTY_RECT
        self.token = next(_tokens)
        if codes is not None:
            codes = np.asarray(codes, dtype=np.uint8)
            if codes.shape != (rect.height, rect.width):
                raise ValueError(f"codes {codes.shape} do not fit {rect}")
            self.write(rect, codes)

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
        return cls(rect, codes.astype(np.uint8))

    def copy(self) -> EditLayers:
        out = EditLayers()
        out._tiles = {k: t.copy() for k, t in self._tiles.items()}
        out._boxes = dict(self._boxes)
        out.rect = self.rect
        out.token = self.token  # same content, same token
        return out

    # -- reading --------------------------------------------------------------------------
    def __bool__(self) -> bool:
        """True when some pixel is painted or erased."""
        return bool(self._tiles)

    @property
    def codes(self) -> np.ndarray:
        """The codes over :attr:`rect` (a new array)."""
        return self.window(self.rect)

    def planes(self) -> tuple[Rect, np.ndarray, np.ndarray, np.ndarray]:
        """``(rect, painted, erased, model)``: rect-sized bool windows."""
        c = self.codes
        return self.rect, (c & PAINTED) != 0, (c & ERASED) != 0, (c & MODEL) != 0

    def counts(self) -> tuple[int, int]:
        """``(painted pixels, erased pixels)``."""
        p = sum(int(np.count_nonzero(t & PAINTED)) for t in self._tiles.values())
        e = sum(int(np.count_nonzero(t & ERASED)) for t in self._tiles.values())
        return p, e

    def _parts(self, rect: Rect):
        """``(tile, tile slices, rect slices)`` of the existing tiles under image ``rect``."""
        inter = rect.intersection(self.rect)  # never walk tiles that cannot exist
        if inter.empty:
            return
        dx, dy = int(inter.x0 - rect.x0), int(inter.y0 - rect.y0)
        for key, (ts, (rs, cs)) in _tiles_over(inter):
            tile = self._tiles.get(key)
            if tile is not None:
                yield tile, ts, (slice(rs.start + dy, rs.stop + dy), slice(cs.start + dx, cs.stop + dx))

    def tiles(self) -> list[tuple[Rect, np.ndarray]]:
        """``(box, codes)`` per storage tile: the tight box of its edited pixels and a copy
        of their codes — for work that must stay proportional to the edited area."""
        out = []
        for key, tile in self._tiles.items():
            x0, y0, x1, y1 = self._boxes[key]
            tx, ty = key[1] * TILE, key[0] * TILE
            out.append((Rect(x0, y0, x1, y1), tile[y0 - ty : y1 - ty, x0 - tx : x1 - tx].copy()))
        return out

    def window(self, rect: Rect) -> np.ndarray:
        """The codes over any image ``rect`` (0 where nothing is edited), a new array."""
        out = np.zeros((int(rect.height), int(rect.width)), np.uint8)
        for tile, ts, ws in self._parts(rect):
            out[ws] = tile[ts]
        return out

    def apply_to(self, window: np.ndarray, rect: Rect) -> np.ndarray:
        """Compose in place: ``window`` (bool, the pixels of image ``rect``) gets painted
        pixels set and erased pixels cleared. Returns ``window``."""
        for tile, ts, ws in self._parts(rect):
            codes, sub = tile[ts], window[ws]
            sub |= (codes & PAINTED) != 0
            sub &= (codes & ERASED) == 0
        return window

    def model_of(self, mask: np.ndarray) -> np.ndarray:
        """The model result behind ``mask`` (the object's composed H×W mask), a new array."""
        out = np.array(mask, dtype=bool, copy=True)
        h, w = out.shape
        for tile, ts, ws in self._parts(Rect(0, 0, w, h)):
            c, sub = tile[ts], out[ws]
            edited = (c & EDITED) != 0
            sub[edited] = (c[edited] & MODEL) != 0
        return out

    def consistent_with(self, mask: np.ndarray) -> bool:
        """Whether ``mask`` (H×W) shows these layers: painted pixels set, erased clear, and
        every edited pixel inside the image."""
        h, w = mask.shape
        if not Rect(0, 0, w, h).contains(self.rect):
            return not self
        for tile, ts, ws in self._parts(Rect(0, 0, w, h)):
            c, sub = tile[ts], mask[ws]
            if not sub[(c & PAINTED) != 0].all() or sub[(c & ERASED) != 0].any():
                return False
        return True

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
        """Set the codes over image ``rect`` (``codes``: rect-sized uint8)."""
        for key, (ts, ws) in _tiles_over(rect):
            part = codes[ws]
            tile = self._tiles.get(key)
            if tile is None:
                if not part.any():
                    continue
                tile = self._tiles[key] = np.zeros((TILE, TILE), np.uint8)
            tile[ts] = part
            rows = np.flatnonzero(tile.any(axis=1))
            if rows.size == 0:
                del self._tiles[key], self._boxes[key]
                continue
            cols = np.flatnonzero(tile.any(axis=0))
            y, x = key[0] * TILE, key[1] * TILE
            self._boxes[key] = (x + int(cols[0]), y + int(rows[0]), x + int(cols[-1]) + 1, y + int(rows[-1]) + 1)
        boxes = self._boxes.values()
        self.rect = (
            Rect(min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
            if boxes else EMPTY_RECT
        )
        self.token = next(_tokens)

    @property
    def nbytes(self) -> int:
        return sum(int(t.nbytes) for t in self._tiles.values())

    def __repr__(self) -> str:
        p, e = self.counts()
        return f"EditLayers({self.rect}, painted={p}, erased={e}, tiles={len(self._tiles)})"


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
