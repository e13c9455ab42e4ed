"""Loop utilities shared by the IS-Net trainers: device, batches, AMP, checkpoints, metrics.

Checkpoints are written in the project's format (:func:`engine.checkpoint.save_checkpoint`):
``config`` (everything needed to rebuild the model: ``in_ch``, ``width``, ``size`` …) and
``meta`` (data path, step, git revision, validation metrics). Optimizer and AMP-scaler
state for ``--resume`` go to a sibling ``<name>.resume.pt`` so the model file stays the
size of its weights.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from dis_annotator.engine.checkpoint import load_checkpoint, save_checkpoint
from dis_annotator.metrics import fmeasure_curve


def git_revision() -> str | None:
    """The repository's HEAD commit (None outside a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
            capture_output=True, text=True, timeout=5, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def batches(dataset: Dataset, batch_size: int, seed: int, workers: int = 0,
            start_epoch: int = 0) -> Iterator[dict[str, Any]]:
    """Endless shuffled batches; tells the dataset the epoch (new coarse draws and flips)."""
    epoch = start_epoch
    while True:
        if hasattr(dataset, "epoch"):
            dataset.epoch = epoch
        g = torch.Generator().manual_seed(seed * 100_003 + epoch)
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=g,
                            num_workers=workers, drop_last=len(dataset) >= batch_size)
        yield from loader
        epoch += 1


def autocast(device: torch.device, enabled: bool) -> Any:
    """fp16 autocast on CUDA when ``enabled``; a no-op context elsewhere."""
    return torch.autocast("cuda", dtype=torch.float16, enabled=enabled and device.type == "cuda")


def grad_scaler(device: torch.device, enabled: bool) -> torch.amp.GradScaler:
    return torch.amp.GradScaler("cuda", enabled=enabled and device.type == "cuda")


def save_training(path: Path, kind: str, model: torch.nn.Module, config: dict[str, Any],
                  meta: dict[str, Any], optimizer: torch.optim.Optimizer | None = None,
                  scaler: torch.amp.GradScaler | None = None) -> None:
    """Model checkpoint (our format) plus optimizer/scaler state for resuming."""
    path.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(path, kind, model.state_dict(), config, {**meta, "git": git_revision()})
    if optimizer is not None:
        state = {"optimizer": optimizer.state_dict(), "step": meta.get("step", 0)}
        if scaler is not None:
            state["scaler"] = scaler.state_dict()
        tmp = resume_path(path).with_suffix(f".{os.getpid()}.tmp")
        torch.save(state, tmp)
        os.replace(tmp, resume_path(path))


def resume_path(path: Path) -> Path:
    return path.with_name(path.stem + ".resume.pt")


def load_resume(path: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(our checkpoint dict, optimizer/scaler state or None)."""
    ckpt = load_checkpoint(path)
    extra = load_checkpoint(resume_path(path)) if resume_path(path).is_file() else None
    return ckpt, extra


# -- validation metrics (per image, at the training size) ---------------------------------


def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    p, g = pred.astype(bool), gt > 0.5
    union = np.logical_or(p, g).sum()
    return 1.0 if union == 0 else float(np.logical_and(p, g).sum() / union)


def _boundary(m: np.ndarray) -> np.ndarray:
    m8 = m.astype(np.uint8)
    return (m8 - cv2.erode(m8, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT)) > 0


def boundary_f(pred: np.ndarray, gt: np.ndarray, tol: int = 2) -> float:
    """F1 of boundary pixels matched within ``tol`` pixels (Chebyshev) both ways."""
    bp, bg = _boundary(pred.astype(bool)), _boundary(gt > 0.5)
    if not bp.any() and not bg.any():
        return 1.0
    if not bp.any() or not bg.any():
        return 0.0
    k = np.ones((2 * tol + 1, 2 * tol + 1), np.uint8)
    precision = (bp & (cv2.dilate(bg.astype(np.uint8), k) > 0)).sum() / bp.sum()
    recall = (bg & (cv2.dilate(bp.astype(np.uint8), k) > 0)).sum() / bg.sum()
    return 0.0 if precision + recall == 0 else float(2 * precision * recall / (precision + recall))


def _to_u8(a: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(a.astype(np.float32) * 255.0), 0, 255).astype(np.uint8)


class MetricAverager:
    """Accumulates per-image metrics: max F (image-averaged curve), MAE, IoU, boundary F."""

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold
        self.curves: list[np.ndarray] = []
        self.rows: list[tuple[float, float, float]] = []

    def add(self, prob: np.ndarray, gt: np.ndarray) -> None:
        self.curves.append(fmeasure_curve(_to_u8(prob), _to_u8(gt > 0.5)))
        pred = prob >= self.threshold
        self.rows.append((float(np.abs(prob - (gt > 0.5)).mean()), iou(pred, gt), boundary_f(pred, gt)))

    def result(self) -> dict[str, float]:
        if not self.rows:
            return {}
        mae, i, bf = np.mean(np.array(self.rows), 0)
        return {"max_f": float(np.mean(self.curves, 0).max()), "mae": float(mae),
                "iou": float(i), "boundary_f": float(bf), "n": len(self.rows)}
