"""Stage 1 of IS-Net's intermediate supervision: train the GT encoder.

The encoder learns to reconstruct GT masks (B×1×S×S) from its six side outputs (BCE on
each, as the reference). Training stops when the validation max F of the finest side
output exceeds ``target_max_f`` (0.99, as IS-Net) or after ``iterations`` steps.
The result (``<out>/gt_encoder.pth``, kind ``gt_encoder``) is frozen by the refiner
trainer and supplies its feature targets.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from dis_annotator.engine.device import pick_device
from dis_annotator.nets.gt_encoder import ISNetGTEncoder
from dis_annotator.training import trainer as T
from dis_annotator.training.refiner_data import RefinerDataset


@dataclass
class GTEncoderConfig:
    data: str
    out: str = "runs/gt_encoder"
    train_subset: str = "DIS-TR"
    val_subset: str | None = "DIS-VD"
    size: int = 1024
    width: float = 1.0
    margin: float = 0.1
    batch_size: int = 8
    lr: float = 1e-3
    iterations: int = 20_000
    target_max_f: float = 0.99
    val_every: int = 500
    val_max: int | None = 100
    amp: bool = True
    device: str | None = None
    workers: int = 0
    seed: int = 0
    cache_dir: str | None = None
    progress: bool = True
    max_train_samples: int | None = None


@torch.no_grad()
def evaluate_encoder(enc: ISNetGTEncoder, data: RefinerDataset, device: torch.device) -> dict[str, float]:
    """Reconstruction metrics of the finest side output."""
    was_training = enc.training
    enc.eval()
    avg = T.MetricAverager()
    for i in range(len(data)):
        gt = data[i]["gt"]
        probs, _ = enc(gt[None].to(device))
        avg.add(probs[0][0, 0].float().cpu().numpy(), gt[0].numpy())
    enc.train(was_training)
    return avg.result()


def train_gt_encoder(cfg: GTEncoderConfig) -> dict[str, Any]:
    """Train until max F > ``target_max_f`` on validation or the step budget; returns metrics."""
    from tqdm import tqdm

    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    out = Path(cfg.out)
    cache = Path(cfg.cache_dir) if cfg.cache_dir else out / "cache"
    common = {"size": cfg.size, "margin": cfg.margin, "cache_dir": cache, "with_input": False}
    train = RefinerDataset(cfg.data, cfg.train_subset, seed=cfg.seed,
                           max_samples=cfg.max_train_samples, **common)
    # Without a validation split the encoder is judged on (unflipped) training GTs.
    val = RefinerDataset(cfg.data, cfg.val_subset or cfg.train_subset, flip=False,
                         fixed_coarse=True, max_samples=cfg.val_max, **common)
    enc = ISNetGTEncoder(width=cfg.width).to(device).train()
    opt = torch.optim.Adam(enc.parameters(), lr=cfg.lr, betas=(0.9, 0.999), eps=1e-8)
    scaler = T.grad_scaler(device, cfg.amp)
    stream = T.batches(train, cfg.batch_size, cfg.seed, cfg.workers)
    metrics: dict[str, float] = {}
    step, t0 = 0, time.perf_counter()
    bar = tqdm(total=cfg.iterations, disable=not cfg.progress, desc="gt-encoder")
    while step < cfg.iterations:
        gt = next(stream)["gt"].to(device)
        with T.autocast(device, cfg.amp):
            logits, _ = enc.forward_logits(gt)
        loss = sum(F.binary_cross_entropy_with_logits(d.float(), gt) for d in logits)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{float(loss.detach()):.4f}")
        if step % cfg.val_every == 0 or step == cfg.iterations:
            metrics = evaluate_encoder(enc, val, device)
            bar.write(f"step {step}: {metrics}")
            if metrics["max_f"] > cfg.target_max_f:
                break
    bar.close()
    path = out / "gt_encoder.pth"
    meta = {"step": step, "data": str(Path(cfg.data).resolve()), "val": metrics,
            "train_config": dataclasses.asdict(cfg), "seconds": time.perf_counter() - t0,
            "converged": bool(metrics.get("max_f", 0.0) > cfg.target_max_f)}
    T.save_training(path, "gt_encoder", enc, {"in_ch": 1, "width": cfg.width, "size": cfg.size}, meta)
    return {"step": step, "val": metrics, "path": str(path), "converged": meta["converged"]}
