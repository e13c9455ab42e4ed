"""Import Segment Anything's model code with or without torchvision.

``segment_anything/__init__.py`` imports ``SamPredictor`` → ``utils.transforms`` →
``torchvision``, which cannot be installed on CPU-only machines here (docs/adr/0003).
The model code itself (``segment_anything.modeling``, ``build_sam``) needs only torch.
When the normal import fails because of torchvision, we register an empty package
object for ``segment_anything`` (same search path, its ``__init__`` not executed) and
import the torch-only submodules through it. Where torchvision works, nothing changes.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

HAS_TORCHVISION: bool
"""True when ``import segment_anything`` works as published (SamPredictor available)."""


def _is_torchvision_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ImportError) and (seen.name or "").startswith("torchvision"):
            return True
        if "torchvision" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _import_without_init() -> types.ModuleType:
    spec = importlib.util.find_spec("segment_anything")
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError("the segment-anything package is not installed (pip install segment-anything)")
    pkg = types.ModuleType("segment_anything")
    pkg.__path__ = list(spec.submodule_search_locations)
    pkg.__spec__ = spec
    pkg.__file__ = spec.origin
    pkg.__package__ = "segment_anything"
    sys.modules["segment_anything"] = pkg
    importlib.import_module("segment_anything.modeling")
    importlib.import_module("segment_anything.build_sam")
    return pkg


def _load() -> tuple[types.ModuleType, bool]:
    try:
        return importlib.import_module("segment_anything"), True
    except Exception as exc:  # torchvision fails with ImportError or RuntimeError
        if not _is_torchvision_failure(exc):
            raise
        return _import_without_init(), False


segment_anything, HAS_TORCHVISION = _load()
modeling = importlib.import_module("segment_anything.modeling")
build_sam_module = importlib.import_module("segment_anything.build_sam")
sam_model_registry: dict[str, Any] = build_sam_module.sam_model_registry

Sam = modeling.Sam
ImageEncoderViT = modeling.ImageEncoderViT
MaskDecoder = modeling.MaskDecoder
PromptEncoder = modeling.PromptEncoder
TwoWayTransformer = modeling.TwoWayTransformer
LayerNorm2d = importlib.import_module("segment_anything.modeling.common").LayerNorm2d


def sam_predictor_class() -> type | None:
    """``segment_anything.SamPredictor`` where torchvision works, else None."""
    return getattr(segment_anything, "SamPredictor", None) if HAS_TORCHVISION else None
