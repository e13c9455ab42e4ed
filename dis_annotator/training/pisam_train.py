"""Pi-SAM's two training stages on cached SAM embeddings (supplementary §A).

Stage 1 trains the HR decoder (fusion, Object Embedder, HR-Conv head with its RGB
embedding) from GT box prompts; loss = (BCE + Dice) on the 1024² output + (BCE + Dice)
on the 256² read-out of the embedded feature (dense, docs/adr/0051). Stage 2 freezes
everything but the Precise Interactor and trains it with clicks simulated on the
stage-1 model's own errors (the shared click simulator), 1..max_points per image.

Adam (lr 1e-3) with cosine decay per step, as in the paper; bf16 autocast on CUDA;
``<out>.train.pt`` holds what ``resume`` needs (weights, optimiser, scheduler, step).
"""

from __future__ import annotations

import io
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dis_annotator.nets.pisam.decoder import PiSamDecoder
from dis_annotator.nets.pisam.sam_decoder_ext import SamDecoderExt
from dis_annotator.training.pisam_batch import (
    Batch,
    bce_dice,
    clicks_for,
    clicks_tensor,
    downsample,
    frame_pred,
    low_res_logits,
    make_batch,
    sam_decode,
)
from dis_annotator.training.pisam_data import load_entry

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    stage: int = 1
    epochs: int = 100
    batch_size: int = 4
    lr: float = 1e-3
    min_lr: float = 0.0
    weight_decay: float = 0.0
    box_jitter: float = 0.05
    low_res_weight: float = 1.0
    max_points: int = 10
    seed: int = 0
    amp: bool = True  # bf16 autocast, CUDA only
    save_every: int = 200
    log_every: int = 10
    max_steps: int | None = None  # stop early (e.g. a time-boxed run)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainResult:
    steps: int
    losses: list[float]
    seconds: float


def stage1_loss(decoder: PiSamDecoder, sam: Any, ext: SamDecoderExt, batch: Batch,
                cfg: TrainConfig) -> torch.Tensor:
    with torch.no_grad():
        sam_out = sam_decode(sam, ext, batch)
    obj = decoder.embed(sam_out, batch.features, batch.interm)
    hr = decoder.predict(obj, batch.image)
    loss = bce_dice(hr, batch.gt, batch.valid)
    if cfg.low_res_weight > 0:
        s = obj.feature.shape[-1]
        low = low_res_logits(decoder, obj)
        loss = loss + cfg.low_res_weight * bce_dice(
            low, downsample(batch.gt, s), (downsample(batch.valid, s) > 0.5).float()
        )
    return loss


def stage2_loss(decoder: PiSamDecoder, sam: Any, ext: SamDecoderExt, batch: Batch,
                cfg: TrainConfig, rng: np.random.Generator) -> torch.Tensor:
    with torch.no_grad():
        obj = decoder.embed(sam_decode(sam, ext, batch), batch.features, batch.interm)
        base = decoder.predict(obj, batch.image)
    clicks = []
    for i, e in enumerate(batch.entries):
        k = int(rng.integers(1, cfg.max_points + 1))
        clicks.append(clicks_for(frame_pred(base[i], e), e.gt, k, rng))
    coords, labels = clicks_tensor(clicks, batch.image.device)
    hr = decoder.predict(obj, batch.image, coords, labels)
    return bce_dice(hr, batch.gt, batch.valid)


def _resume_path(out: Path) -> Path:
    return out.with_name(out.name + ".train.pt")


def _save_resume(path: Path, decoder: PiSamDecoder, opt: Any, sched: Any, step: int,
                 cfg: TrainConfig) -> None:
    from dis_annotator.io.atomic import atomic_write_bytes

    buf = io.BytesIO()
    torch.save({"decoder": decoder.state_dict(), "optim": opt.state_dict(),
                "sched": sched.state_dict(), "step": step, "stage": cfg.stage}, buf)
    atomic_write_bytes(path, buf.getvalue())


def train(
    decoder: PiSamDecoder,
    sam: Any,
    train_paths: list[Path],
    cfg: TrainConfig,
    out: Path,
    sam_model: str,
    device: str | torch.device = "cpu",
    resume: bool = False,
    on_log: Callable[[int, float, float], None] | None = None,
) -> TrainResult:
    """Train ``cfg.stage`` on cached entries; writes ``out`` (Pi-SAM checkpoint) at the end
    and ``<out>.train.pt`` every ``save_every`` steps."""
    from dis_annotator.engine.checkpoint import load_checkpoint, load_into
    from dis_annotator.engine.pisam_stage import save_pisam

    device = torch.device(device)
    out = Path(out)
    sam.to(device).eval()
    decoder.to(device)
    decoder.set_stage(cfg.stage)
    decoder.train()
    ext = SamDecoderExt(sam.mask_decoder)
    frame = int(sam.image_encoder.img_size)
    params = [p for p in decoder.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    per_epoch = max(1, math.ceil(len(train_paths) / cfg.batch_size))
    total = cfg.epochs * per_epoch
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=cfg.min_lr)
    step = 0
    rp = _resume_path(out)
    if resume and rp.is_file():
        state = load_checkpoint(rp, map_location=str(device))
        if state.get("stage") != cfg.stage:
            raise ValueError(f"{rp.name} is a stage-{state.get('stage')} run, not stage {cfg.stage}")
        load_into(decoder, state["decoder"], rp.name)
        opt.load_state_dict(state["optim"])
        sched.load_state_dict(state["sched"])
        step = int(state["step"])
        log.info("resumed %s at step %d/%d", rp.name, step, total)
    use_amp = cfg.amp and device.type == "cuda"
    losses: list[float] = []
    t0 = time.perf_counter()
    stop = total if cfg.max_steps is None else min(total, cfg.max_steps)
    while step < stop:
        epoch, in_epoch = divmod(step, per_epoch)
        # The order depends only on (seed, epoch): a resumed run sees the same batches.
        order = np.random.default_rng((cfg.seed, epoch)).permutation(len(train_paths))
        idx = order[in_epoch * cfg.batch_size : (in_epoch + 1) * cfg.batch_size]
        rng = np.random.default_rng((cfg.seed, epoch, in_epoch, 1))
        entries = [load_entry(train_paths[i]) for i in idx]
        batch = make_batch(entries, frame, device, cfg.box_jitter, rng)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            if cfg.stage == 1:
                loss = stage1_loss(decoder, sam, ext, batch, cfg)
            else:
                loss = stage2_loss(decoder, sam, ext, batch, cfg, rng)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        step += 1
        losses.append(float(loss.item()))
        if on_log is not None and (step % cfg.log_every == 0 or step == stop):
            on_log(step, float(np.mean(losses[-cfg.log_every :])), sched.get_last_lr()[0])
        if cfg.save_every and step % cfg.save_every == 0:
            _save_resume(rp, decoder, opt, sched, step, cfg)
    _save_resume(rp, decoder, opt, sched, step, cfg)
    decoder.eval()
    save_pisam(
        out, decoder, sam_model=sam_model, frame=frame, stage=cfg.stage, step=step,
        metrics={"final_loss": float(np.mean(losses[-cfg.log_every :])) if losses else float("nan")},
        extra={"train_config": asdict(cfg), "train_images": len(train_paths)},
    )
    return TrainResult(step, losses, time.perf_counter() - t0)
