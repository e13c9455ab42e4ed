"""Value types that flow through the engine: prompts, requests, stage outputs, provenance.

Coordinate convention (fixed once for the whole project): a point is ``(x, y)`` =
``(column, row)`` in full-resolution image pixels of the image *as a viewer shows it*
(EXIF orientation applied by :func:`dis_annotator.io.load_image`). A box is
``(x0, y0, x1, y1)`` with ``x1``/``y1`` exclusive, also in full-resolution pixels: the
project's one rectangle type, :class:`dis_annotator.geometry.Rect` (``Box`` here).
Arrays are indexed ``[row, col]`` = ``[y, x]``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dis_annotator.geometry import Box

if TYPE_CHECKING:  # the estimator imports this module
    from dis_annotator.engine.uncertainty import Uncertainty


@dataclass(frozen=True)
class Point:
    """A click: ``(x, y)`` = (column, row) in image pixels; ``positive`` True = foreground."""

    x: float
    y: float
    positive: bool = True

    @property
    def label(self) -> int:
        """SAM's label convention: 1 = foreground, 0 = background."""
        return 1 if self.positive else 0


@dataclass(frozen=True)
class Prompt:
    """Everything the user said about one object: an optional box and clicks in order."""

    box: Box | None = None
    points: tuple[Point, ...] = ()

    def validated(self, width: int, height: int) -> Prompt:
        """Clip the box to the image; raise ``ValueError`` for unusable prompts."""
        box = self.box.clipped(width, height) if self.box is not None else None
        for p in self.points:
            if not (0 <= p.x < width and 0 <= p.y < height) or not (
                math.isfinite(p.x) and math.isfinite(p.y)
            ):
                raise ValueError(
                    f"point ({p.x:g}, {p.y:g}) lies outside the {width}x{height} image"
                )
        if box is None and not self.points:
            raise ValueError("a prompt needs a box or at least one point")
        return Prompt(box=box, points=self.points)

    def with_point(self, point: Point) -> Prompt:
        return Prompt(box=self.box, points=(*self.points, point))


class ImageData:
    """An RGB image (H×W×3 uint8, C-contiguous) plus a lazily computed content key.

    The key identifies the pixels (not the file), so embedding caches survive renames and
    never confuse two different images that share a path.
    """

    def __init__(self, array: np.ndarray, key: str | None = None, name: str = "") -> None:
        if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
            raise ValueError(f"expected an H×W×3 uint8 RGB array, got {array.dtype} {array.shape}")
        self.array = np.ascontiguousarray(array)
        self._key = key
        self.name = name

    @property
    def height(self) -> int:
        return int(self.array.shape[0])

    @property
    def width(self) -> int:
        return int(self.array.shape[1])

    @property
    def key(self) -> str:
        if self._key is None:
            h = hashlib.blake2b(digest_size=16)
            h.update(np.asarray(self.array.shape, dtype=np.int64).tobytes())
            h.update(memoryview(self.array).cast("B"))
            self._key = h.hexdigest()
        return self._key


@dataclass
class StageReport:
    """What one stage used and how long it took; stored in every result's provenance."""

    stage: str  # "coarse" | "correct" | "refine"
    name: str  # e.g. "grabcut", "sam-vit_b", "is5net", "guided-filter", "pisam"
    learned: bool
    ms: float = 0.0
    model: str | None = None
    checkpoint_sha256: str | None = None
    device: str = "cpu"
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "name": self.name,
            "learned": self.learned,
            "ms": round(self.ms, 2),
            "model": self.model,
            "checkpoint_sha256": self.checkpoint_sha256,
            "device": self.device,
            "settings": dict(self.settings),
        }


@dataclass
class MaskOutput:
    """One stage's answer for one object.

    ``mask`` is the full-resolution H×W bool mask (the truth the document stores).
    ``prob`` optionally holds a soft map in [0, 1] (float32) over ``prob_box`` only —
    the region the stage actually looked at — so 8K images never carry full-size float
    maps. ``state`` is stage-private data the next request for the same object hands
    back (e.g. SAM's 1×256×256 low-res logits), opaque to everyone else.
    ``failure`` says why the mask is no answer (e.g. an empty result for a box, after
    the stage tried its alternatives); the app shows it, the batch command fails the image.
    ``uncertainty`` (set by the pipeline on final results) says where the mask is probably
    wrong, the suggested next click and the corrections left (engine/uncertainty).
    """

    mask: np.ndarray
    prob: np.ndarray | None = None
    prob_box: Box | None = None
    score: float | None = None
    state: dict[str, Any] = field(default_factory=dict)
    report: StageReport | None = None
    failure: str | None = None
    uncertainty: Uncertainty | None = None


@dataclass
class Request:
    """A pipeline run for one object.

    ``object_id`` is the object's id; ``document`` names the annotation it belongs to (the
    image path in the app; empty for one-off runs), so ``slot`` — the pair — identifies
    the object across open images. ``previous`` is the last result delivered for this
    object (None for a new object); its ``state`` lets a corrector continue from where it
    stopped. ``generation`` grows with each new request in the same ``slot``; the worker
    uses it to drop stale results.
    """

    image: ImageData
    prompt: Prompt
    object_id: str = "0"
    generation: int = 0
    previous: MaskOutput | None = None
    document: str = ""

    @property
    def slot(self) -> str:
        return object_slot(self.object_id, self.document)


def object_slot(object_id: str, document: str = "") -> str:
    """``"<document>#<object id>"`` (just the object id without a document)."""
    return f"{document}#{object_id}" if document else object_id


@dataclass
class Result:
    """The final answer of a pipeline run with the provenance of every stage that ran."""

    object_id: str
    generation: int
    output: MaskOutput
    reports: list[StageReport]
    partial: bool = False

    @property
    def mask(self) -> np.ndarray:
        return self.output.mask

    @property
    def failure(self) -> str | None:
        """Why this result is no answer (empty for its box), or None."""
        return self.output.failure

    @property
    def uncertainty(self) -> Uncertainty | None:
        """Where the mask is probably wrong (None for partial results or when disabled)."""
        return self.output.uncertainty

    @property
    def provenance(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stages": [r.to_dict() for r in self.reports],
            "total_ms": round(sum(r.ms for r in self.reports), 2),
            "learned": all(r.learned for r in self.reports),
        }
        if self.output.uncertainty is not None:
            # Saved with the object: the effort stays known after a restart (file sorting).
            out["uncertainty"] = self.output.uncertainty.to_dict()
        return out


class Superseded(Exception):
    """Raised between stages when a newer request for the same object exists."""


# Called between stages; returns False when the request is no longer wanted.
IsCurrent = Callable[[], bool]
# Receives the coarse result as soon as it exists (the UI shows it at once).
OnPartial = Callable[[Result], None]
