"""Would this checkpoint load into the stage its manifest entry feeds? (docs/adr/0126)

A file without a published hash is accepted (``models import``, ``models verify``) only
when its tensors have exactly the keys and shapes of the network the stage builds for
that model: the network is built on PyTorch's ``meta`` device (shapes, no memory, no
weights initialised), a fraction of a second even for SAM ViT-H.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dis_annotator.engine.checkpoint import FORMAT, check_state_dict, state_dict_of
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.weights.manifest import ModelInfo


def _ours(obj: Any, kind: str, name: str) -> dict[str, Any] | None:
    """The config of one of our checkpoints of ``kind``; None for a bare state dict."""
    if not isinstance(obj, Mapping) or obj.get("format") != FORMAT:
        return None
    if obj.get("kind") != kind:
        raise WeightsError(f"{name}: a {str(obj.get('kind'))[:40]!r} checkpoint, not {kind}")
    config = obj.get("config") or {}
    if not isinstance(config, Mapping):
        raise WeightsError(f"{name}: bad config ({type(config).__name__})")
    return dict(config)


def _number(config: Mapping[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    v = config.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        raise ValueError(f"{key}={v!r} is not in [{lo}, {hi}]")
    return v


def _isnet(in_ch: int, kind: str) -> Callable[[Any, ModelInfo, str], Any]:
    def build(obj: Any, info: ModelInfo, name: str) -> Any:
        from dis_annotator.nets.isnet import ISNetDIS

        config = _ours(obj, kind, name) or {}
        width = float(_number(config, "width", 1.0, 1 / 64, 4.0))
        return ISNetDIS(in_ch=in_ch, width=width)

    return build


def _pisam(obj: Any, info: ModelInfo, name: str) -> Any:
    from dis_annotator.nets.pisam.decoder import PiSamDecoder

    config = _ours(obj, "pisam", name)
    if config is None:
        raise WeightsError(f"{name}: not a Pi-SAM checkpoint (a bare state dict)")
    trained_for = config.get("sam_model")
    if info.arch and trained_for not in (None, info.arch):
        raise WeightsError(f"{name}: trained for SAM {trained_for!r}, {info.name} needs {info.arch}")
    return PiSamDecoder(
        vit_dim=int(_number(config, "vit_dim", -1, 1, 8192)),
        ch=int(_number(config, "ch", 32, 1, 1024)),
        interactor_depth=int(_number(config, "interactor_depth", 2, 0, 64)),
    )


def _sam(obj: Any, info: ModelInfo, name: str) -> Any:
    """SAM vit_b/l/h, or MobileSAM (vit_t: TinyViT keys or our config's ``tiny_vit``)."""
    from dis_annotator.engine.sam_model import SamConfig, build_sam, infer_config

    config = _ours(obj, "sam", name)
    cfg = SamConfig.from_dict(config) if config else infer_config(state_dict_of(obj))
    if info.arch and cfg.model_type != info.arch:
        raise WeightsError(f"{name}: a SAM {cfg.model_type} checkpoint, {info.name} is {info.arch}")
    return build_sam(cfg)


BUILDERS: dict[str, Callable[[Any, ModelInfo, str], Any]] = {
    "is5net": _isnet(5, "is5net"),
    "isnet": _isnet(3, "isnet"),
    "pisam": _pisam,
    "sam": _sam,
}


def validate_checkpoint(info: ModelInfo, obj: Any, name: str) -> None:
    """Raise a one-line :class:`WeightsError` unless ``obj`` (what ``load_checkpoint``
    returned) has the keys and shapes the ``info.kind`` stage loads; kinds without a
    builder pass (loading safely is all that can be checked for them)."""
    build = BUILDERS.get(info.kind)
    if build is None:
        return
    sd = state_dict_of(obj)  # a list, a tensor, …: WeightsError
    import torch

    try:
        with torch.device("meta"):
            net = build(obj, info, name)
    except WeightsError:
        raise
    except Exception as exc:  # noqa: BLE001 - a config that builds nothing
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightsError(f"{name}: bad config for {info.kind} ({first[:160]})") from None
    check_state_dict(net, sd, f"{name} as {info.name}")
