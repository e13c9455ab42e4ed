"""dis-annotator: pixel-perfect ("dichotomous") object masks from a box and a few clicks.

The public scripting facade is :func:`segment`; everything heavy (torch, SAM) is imported
lazily so that ``import dis_annotator`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from dis_annotator.engine.facade import Segmentation, segment

__all__ = ["Segmentation", "__version__", "segment"]


def __getattr__(name: str) -> Any:
    if name in ("segment", "Segmentation"):
        from dis_annotator.engine import facade

        return getattr(facade, name)
    raise AttributeError(f"module 'dis_annotator' has no attribute {name!r}")
