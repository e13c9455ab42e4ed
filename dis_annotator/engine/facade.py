"""``dis_annotator.segment``: the one-call scripting API."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING, Any

import numpy as np

from dis_annotator.engine.pipeline import Pipeline
from dis_annotator.engine.types import Box, ImageData, Point, Prompt, Request

if TYPE_CHECKING:  # pragma: no cover
    from dis_annotator.annotation.layers import EditLayers


@dataclass
class Segmentation:
    """``mask``: H×W bool at full resolution — the model result with the manual edits
    passed to :func:`segment` applied; ``model_mask``: the model result alone (the same
    array without edits); ``provenance``: which stages ran, and how long.

    Where the model result is probably wrong (docs/adr/0150): ``uncertainty`` H×W
    float32 in [0, 1] at full size (1 = most likely wrong; the band is ≥ 0.5);
    ``suggested_click`` ``(x, y)`` in image pixels, or None when nothing is uncertain;
    ``suggested_positive`` whether a foreground click would fix it there (the mask
    probably misses the object), None without a suggestion; ``effort`` the estimated
    corrections left (HCE-like: clicks and polygon points; 0 for a sure result);
    ``expected_loss`` the expected 1 − IoU of the result (size-free, so it ranks objects
    better than the effort does; docs/adr/0153)."""

    mask: np.ndarray
    provenance: dict[str, Any]
    score: float | None = None
    model_mask: np.ndarray | None = None
    uncertainty: np.ndarray | None = None
    suggested_click: tuple[float, float] | None = None
    suggested_positive: bool | None = None
    effort: float = 0.0
    expected_loss: float = 0.0

    def __post_init__(self) -> None:
        if self.model_mask is None:
            self.model_mask = self.mask
        if self.uncertainty is None:
            self.uncertainty = np.zeros(self.mask.shape, np.float32)


_default_pipeline: Pipeline | None = None


def default_pipeline() -> Pipeline:
    """The process-wide pipeline built from the installed weights (built once)."""
    global _default_pipeline
    if _default_pipeline is None:
        from dis_annotator.engine.factory import build_pipeline

        _default_pipeline = build_pipeline()
    return _default_pipeline


def _as_image(image: np.ndarray | str | PathLike[str] | ImageData) -> ImageData:
    if isinstance(image, ImageData):
        return image
    if isinstance(image, np.ndarray):
        arr = image
        if arr.ndim == 2:
            arr = np.repeat(arr[:, :, None], 3, axis=2)
        if arr.dtype != np.uint8:
            raise ValueError(f"image array must be uint8, got {arr.dtype}")
        if arr.ndim != 3 or arr.shape[2] not in (3, 4):
            raise ValueError(f"image array must be H×W, H×W×3 or H×W×4, got {arr.shape}")
        return ImageData(arr[:, :, :3])
    from dis_annotator.io import load_image

    return ImageData(load_image(image), name=str(image))


def segment(
    image: np.ndarray | str | PathLike[str] | ImageData,
    box: Sequence[float] | None = None,
    points: Iterable[Sequence[float]] = (),
    pipeline: Pipeline | None = None,
    edits: EditLayers | None = None,
) -> Segmentation:
    """Segment one object.

    ``image``: H×W×3 uint8 RGB array or a path; ``box``: ``(x0, y0, x1, y1)`` in pixels
    (clipped to the image); ``points``: ``(x, y, 1)`` foreground / ``(x, y, 0)`` background.
    ``edits``: an annotated object's manual layers (``obj.edits``): the result's ``mask``
    then keeps its painted and erased pixels, exactly as the document composes a model
    result (:func:`dis_annotator.annotation.compose`, docs/adr/0130); push
    ``SetMask(obj.id, seg.model_mask, ...)`` to store it. Raises ``ValueError`` for an
    empty box, a point outside the image, or edits of another image size.
    """
    img = _as_image(image)
    b = None
    if box is not None:
        if len(box) != 4:
            raise ValueError(f"box must be (x0, y0, x1, y1), got {tuple(box)!r}")
        b = Box(*(float(v) for v in box))
    pts = []
    for p in points:
        if len(p) != 3 or p[2] not in (0, 1):
            raise ValueError(f"point must be (x, y, 1|0), got {tuple(p)!r}")
        pts.append(Point(float(p[0]), float(p[1]), bool(p[2])))
    prompt = Prompt(box=b, points=tuple(pts))
    result = (pipeline or default_pipeline()).run(Request(image=img, prompt=prompt))
    found = _uncertainty_fields(result.uncertainty)
    if not edits:
        return Segmentation(result.mask, result.provenance, result.output.score, **found)
    from dis_annotator.annotation.layers import compose

    provenance = {**result.provenance, "manual_edits": dict(zip(("painted_px", "erased_px"), edits.counts(), strict=True))}
    return Segmentation(compose(result.mask, edits), provenance, result.output.score, result.mask, **found)


def _uncertainty_fields(u: Any) -> dict[str, Any]:
    if u is None:
        return {}
    return {"uncertainty": u.full(), "suggested_click": u.suggested_click,
            "suggested_positive": u.suggested_positive, "effort": u.effort,
            "expected_loss": u.expected_loss}
