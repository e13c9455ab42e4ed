"""``pick_device``: the one place that decides where learned stages run.

Every learned stage, the factory, the inference worker, ``--version`` and the trainers
ask this function, so SAM, IS5Net and Pi-SAM always land on the same device
(docs/adr/0090). torch is imported inside the function: this module is on the CLI's
start-up path (docs/adr/0082).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` when given, else CUDA, else Apple MPS, else CPU."""
    import torch

    if device is not None and str(device):
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
