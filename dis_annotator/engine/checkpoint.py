"""Safe checkpoint loading and this project's checkpoint format.

Every checkpoint goes through :func:`load_checkpoint`: ``torch.load(weights_only=True)``
(a pickle that would run code is refused, never executed), errors mapped to a one-line
:class:`WeightsError`. Our own checkpoints are a dict::

    {"format": "dis-annotator/1", "kind": "is5net" | "gt_encoder" | "pisam" | ...,
     "config": {...}, "meta": {...}, "state_dict": {...}}

Official checkpoints (SAM, IS-Net, DIS-SAM) are bare state dicts; :func:`state_dict_of`
accepts both.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dis_annotator.engine.errors import WeightsError

FORMAT = "dis-annotator/1"


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def load_checkpoint(path: str | os.PathLike[str], map_location: str = "cpu") -> Any:
    """``torch.load(path, weights_only=True)`` with one-line errors."""
    import pickle

    import torch

    p = Path(path)
    if not p.is_file():
        raise WeightsError(f"{p}: checkpoint not found")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "pickle protocol N": we report one line
            return torch.load(p, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unpickling failed"
        raise WeightsError(
            f"{p.name}: refused, the file is not a plain-tensor checkpoint ({first[:160]})"
        ) from None
    except Exception as exc:  # noqa: BLE001 - junk bytes raise IndexError, KeyError, …
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightsError(f"{p.name}: unreadable checkpoint ({first[:160]})") from None


def state_dict_of(obj: Any) -> dict[str, Any]:
    """The tensor state dict of a bare state dict or of our checkpoint format."""
    if isinstance(obj, Mapping) and obj.get("format") == FORMAT:
        if "state_dict" not in obj:
            raise WeightsError(f"a {FORMAT} checkpoint without a state_dict")
        obj = obj["state_dict"]
    if not isinstance(obj, Mapping):
        raise WeightsError(f"checkpoint holds a {type(obj).__name__}, not a state dict")
    sd = dict(obj)
    # Checkpoints saved from DataParallel wrap every key in "module.".
    if sd and all(k.startswith("module.") for k in sd):
        sd = {k[len("module.") :]: v for k, v in sd.items()}
    return sd


def _shown(key: Any) -> str:
    """A key as one short printable piece (a key may hold a newline)."""
    text = str(key)
    return text if text.isprintable() and len(text) <= 80 else repr(text)[:80]


def check_state_dict(module: Any, state_dict: Mapping[str, Any], what: str) -> None:
    """Raise a one-line :class:`WeightsError` unless ``state_dict`` has exactly the keys,
    tensor values and shapes of ``module`` (which may live on the ``meta`` device)."""
    import torch

    own = module.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    not_tensor = [_shown(k) for k in state_dict if k in own and not isinstance(state_dict[k], torch.Tensor)]
    wrong = [
        f"{k} {tuple(state_dict[k].shape)}≠{tuple(v.shape)}"
        for k, v in own.items()
        if isinstance(state_dict.get(k), torch.Tensor) and state_dict[k].shape != v.shape
    ]
    if missing or unexpected or wrong or not_tensor:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing keys (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys (e.g. {_shown(unexpected[0])})")
        if wrong:
            parts.append(f"{len(wrong)} wrong shapes (e.g. {wrong[0]})")
        if not_tensor:
            parts.append(f"{len(not_tensor)} values that are not tensors (e.g. {not_tensor[0]})")
        raise WeightsError(f"{what}: not a matching checkpoint: " + "; ".join(parts))


def load_into(module: Any, state_dict: Mapping[str, Any], what: str) -> None:
    """``load_state_dict(strict=True)`` with a one-line report of wrong keys or shapes."""
    check_state_dict(module, state_dict, what)
    module.load_state_dict(state_dict, strict=True)


def save_checkpoint(
    path: str | os.PathLike[str],
    kind: str,
    state_dict: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> None:
    """Write our checkpoint format atomically (loadable with ``weights_only=True``)."""
    import torch

    from dis_annotator.io.atomic import atomic_write_bytes

    buf = io.BytesIO()
    torch.save(
        {
            "format": FORMAT,
            "kind": kind,
            "config": dict(config or {}),
            "meta": dict(meta or {}),
            "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
        },
        buf,
    )
    atomic_write_bytes(path, buf.getvalue())
