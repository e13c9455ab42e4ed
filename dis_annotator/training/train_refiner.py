"""Stage 2 of DIS-SAM: train the 5-channel IS-Net refiner ("IS5Net").

Loss (:mod:`losses`): 20·BCE + 0.5·IoU on all six side outputs, + 1·MSE between the
net's features and the frozen GT encoder's features of the same GT, + λ·orthogonality
(λ = 1e-6, paper). Adam at the paper's lr 1e-5 and batch 6 at 1024² — values meant for
a warm start from IS-Net weights (``warm_start``); from scratch a larger lr trains
faster (the tests use 2e-3 on a narrow net). Writes ``<out>/last.pth`` and
``<out>/best.pth`` (best validation max F) in the project's checkpoint format.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from dis_annotator.engine.checkpoint import FORMAT, load_checkpoint, load_into, state_dict_of
from dis_annotator.engine.device import pick_device
from dis_annotator.engine.errors import WeightsError
from dis_annotator.nets.gt_encoder import ISNetGTEncoder
from dis_annotator.nets.isnet import ISNetDIS, warm_start_from_rgb
from dis_annotator.training import trainer as T
from dis_annotator.training.losses import LossWeights, refiner_loss
from dis_annotator.training.refiner_data import RefinerDataset

log = logging.getLogger(__name__)


@dataclass
class RefinerConfig:
    """Everything a refiner run depends on (stored in every checkpoint)."""

    data: str
    out: str = "runs/refiner"
    train_subset: str = "DIS-TR"
    val_subset: str | None = "DIS-VD"
    size: int = 1024
    width: float = 1.0
    margin: float = 0.1
    batch_size: int = 6
    lr: float = 1e-5
    # "constant" (paper) or "cosine" (decay to 0 at ``iterations``: steadier final
    # weights for short runs such as the CPU learning test).
    lr_schedule: str = "constant"
    iterations: int = 100_000
    loss: LossWeights = field(default_factory=LossWeights)
    gt_encoder: str | None = None
    warm_start: str | None = None
    val_every: int = 2000
    val_max: int | None = 200
    save_every: int = 2000
    amp: bool = True
    device: str | None = None
    workers: int = 0
    seed: int = 0
    cache_dir: str | None = None
    resume: bool = False
    progress: bool = True
    max_train_samples: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["loss"] = dataclasses.asdict(self.loss)
        return d


def load_gt_encoder(path: str, width: float, device: torch.device) -> ISNetGTEncoder:
    """A frozen GT encoder from our ``gt_encoder`` checkpoint or an official state dict."""
    obj = load_checkpoint(path)
    if isinstance(obj, dict) and obj.get("format") == FORMAT and obj.get("kind") != "gt_encoder":
        raise WeightsError(f"{Path(path).name}: a {obj.get('kind')!r} checkpoint, not a GT encoder")
    w = float(obj.get("config", {}).get("width", 1.0)) if obj.get("format") == FORMAT else 1.0
    if w != width:
        raise WeightsError(f"{Path(path).name}: GT encoder width {w} ≠ refiner width {width}")
    enc = ISNetGTEncoder(width=w)
    load_into(enc, state_dict_of(obj), Path(path).name)
    enc.to(device).eval()
    for p in enc.parameters():
        p.requires_grad_(False)
    return enc


def _warm_start(net: ISNetDIS, path: str) -> None:
    sd = state_dict_of(load_checkpoint(path))
    w = sd.get("conv_in.weight")
    if w is not None and w.shape[1] == 3:
        try:
            warm_start_from_rgb(net, sd)
        except (RuntimeError, ValueError) as exc:
            raise WeightsError(f"{Path(path).name}: cannot warm-start ({str(exc)[:160]})") from None
    else:
        load_into(net, sd, Path(path).name)


@torch.no_grad()
def evaluate(net: ISNetDIS, data: RefinerDataset, device: torch.device,
             limit: int | None = None) -> dict[str, Any]:
    """Refined vs coarse metrics (max F, MAE, IoU, boundary F at 0.5) on ``data``."""
    was_training = net.training
    net.eval()
    refined, coarse = T.MetricAverager(), T.MetricAverager()
    n = len(data) if limit is None else min(limit, len(data))
    for i in range(n):
        item = data[i]
        x = item["x"][None].to(device)
        gt = item["gt"][0].numpy()
        probs, _ = net(x)
        refined.add(probs[0][0, 0].float().cpu().numpy(), gt)
        coarse.add(item["x"][3].numpy(), gt)
    net.train(was_training)
    return {"refined": refined.result(), "coarse": coarse.result()}


def train_refiner(cfg: RefinerConfig) -> dict[str, Any]:
    """Run (or resume) training; returns the last validation metrics and checkpoint paths."""
    from tqdm import tqdm

    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    out = Path(cfg.out)
    cache = Path(cfg.cache_dir) if cfg.cache_dir else out / "cache"
    train = RefinerDataset(cfg.data, cfg.train_subset, cfg.size, cfg.margin, cache,
                           seed=cfg.seed, max_samples=cfg.max_train_samples)
    val = None
    if cfg.val_subset:
        val = RefinerDataset(cfg.data, cfg.val_subset, cfg.size, cfg.margin, cache, flip=False,
                             fixed_coarse=True, seed=cfg.seed + 1, max_samples=cfg.val_max)
    net = ISNetDIS(in_ch=5, width=cfg.width).to(device)
    enc = load_gt_encoder(cfg.gt_encoder, cfg.width, device) if cfg.gt_encoder else None
    if enc is None and cfg.loss.fea > 0:
        log.warning("no GT encoder given: training without the feature-supervision term")
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, betas=(0.9, 0.999), eps=1e-8)
    if cfg.lr_schedule not in ("constant", "cosine"):
        raise ValueError(f"lr_schedule must be 'constant' or 'cosine', got {cfg.lr_schedule!r}")
    scaler = T.grad_scaler(device, cfg.amp)
    model_config = {"in_ch": 5, "width": cfg.width, "size": cfg.size, "margin": cfg.margin}
    step, best = 0, -math.inf
    last = out / "last.pth"
    if cfg.resume and last.is_file():
        ckpt, extra = T.load_resume(last)
        load_into(net, state_dict_of(ckpt), last.name)
        step = int(ckpt.get("meta", {}).get("step", 0))
        best = float(ckpt.get("meta", {}).get("best_max_f", -math.inf))
        if extra is not None:
            opt.load_state_dict(extra["optimizer"])
            if "scaler" in extra:
                scaler.load_state_dict(extra["scaler"])
    elif cfg.warm_start:
        _warm_start(net, cfg.warm_start)

    net.train()
    metrics: dict[str, Any] = {}
    epoch0 = step * cfg.batch_size // max(len(train), 1)
    stream = T.batches(train, cfg.batch_size, cfg.seed, cfg.workers, start_epoch=epoch0)
    bar = tqdm(total=cfg.iterations, initial=step, disable=not cfg.progress, desc="refiner")
    t0 = time.perf_counter()
    while step < cfg.iterations:
        batch = next(stream)
        if cfg.lr_schedule == "cosine":
            for group in opt.param_groups:
                group["lr"] = cfg.lr * 0.5 * (1 + math.cos(math.pi * step / cfg.iterations))
        x, gt = batch["x"].to(device), batch["gt"].to(device)
        with T.autocast(device, cfg.amp):
            logits, feats = net.forward_logits(x)
            gt_feats = enc.forward_logits(gt)[1] if enc is not None else None
        loss, parts = refiner_loss(logits, feats, gt, gt_feats, net, cfg.loss)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{parts['total']:.3f}")
        done = step == cfg.iterations
        if val is not None and (step % cfg.val_every == 0 or done):
            metrics = evaluate(net, val, device)
            bar.write(f"step {step}: refined {metrics['refined']} | coarse {metrics['coarse']}")
        if step % cfg.save_every == 0 or done:
            meta = {"step": step, "data": str(Path(cfg.data).resolve()), "train_config": cfg.to_dict(),
                    "val": metrics, "loss": parts, "seconds": time.perf_counter() - t0}
            score = metrics.get("refined", {}).get("max_f", -math.inf)
            if score > best:
                best = score
                T.save_training(out / "best.pth", "is5net", net, model_config, meta)
            meta["best_max_f"] = best
            T.save_training(last, "is5net", net, model_config, meta, opt, scaler)
    bar.close()
    return {"step": step, "val": metrics, "last": str(last),
            "best": str(out / "best.pth") if (out / "best.pth").is_file() else None}


def evaluate_stage(stage: Any, root: str, subset: str, seed: int = 0,
                   thresholds: tuple[str, ...] = ("0.5",), limit: int | None = None,
                   margin: float | None = None) -> dict[str, Any]:
    """End-to-end check of a refine stage on full-resolution held-out images.

    For each GT component (enrichment) of ``root/subset``: a coarse mask drawn by
    ``sam_like_coarse`` (fixed ``seed``) in SAM's frame and resized to the image, the
    component's box as the prompt, then ``stage.refine``. Returns IoU / boundary F of the
    coarse mask (≥ 0.5) and of the refined mask for each threshold in ``thresholds``.
    """
    import cv2
    import numpy as np

    from dis_annotator.engine.types import Box, ImageData, MaskOutput, Prompt
    from dis_annotator.training.degrade import sam_like_coarse
    from dis_annotator.training.dis5k import enrich_components, list_pairs
    from dis_annotator.training.refiner_data import SAM_FRAME, _read_gray, _read_rgb

    rows: dict[str, list[tuple[float, float]]] = {"coarse": []}
    rows.update({f"refined@{t}": [] for t in thresholds})
    saved = stage.threshold
    pairs = list_pairs(root, subset)
    for i, (im, gt_path) in enumerate(pairs[:limit] if limit else pairs):
        rgb = _read_rgb(str(im))
        H, W = rgb.shape[:2]
        image = ImageData(rgb)
        for k, comp in enumerate(enrich_components(_read_gray(str(gt_path)) > 127)):
            comp = np.asarray(comp, bool)
            scale = min(1.0, SAM_FRAME / max(H, W))
            small = cv2.resize(comp.astype(np.uint8) * 255, (round(W * scale), round(H * scale)),
                               interpolation=cv2.INTER_AREA) > 127
            soft = sam_like_coarse(small, np.random.default_rng([seed, i, k]))
            soft = cv2.resize(np.asarray(soft, np.float32), (W, H), interpolation=cv2.INTER_LINEAR)
            coarse = MaskOutput(mask=soft >= 0.5, prob=soft, prob_box=Box(0, 0, W, H))
            prompt = Prompt(box=Box.from_mask(comp))
            rows["coarse"].append((T.iou(coarse.mask, comp), T.boundary_f(coarse.mask, comp)))
            for t in thresholds:
                stage.threshold = t
                out = stage.refine(image, coarse, prompt)
                rows[f"refined@{t}"].append((T.iou(out.mask, comp), T.boundary_f(out.mask, comp)))
    stage.threshold = saved
    return {name: {"iou": float(np.mean([r[0] for r in v])), "boundary_f": float(np.mean([r[1] for r in v])),
                   "n": len(v)} for name, v in rows.items() if v}
