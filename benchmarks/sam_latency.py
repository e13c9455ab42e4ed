"""SAM stage latency on this machine, and what crop-to-box does to boundary resolution.

Random weights (no downloads): timings are real, mask quality is not. Models: ``vit_t``
(MobileSAM: TinyViT encoder), ``vit_b``/``vit_l``/``vit_h`` and a ``tiny`` test SAM; the
run ends with a side-by-side table of encode and click latency per model. Prints:

* encode time (full image → 1024² → embedding), cache-hit time,
* cached box→mask and click→mask latency (prompt encoder + decoder + postprocess),
  on a 1024×768 and a 6000×4000 image,
* crop-to-box on a synthetic 6000×4000 thin-structure image: the image pixels per
  encoder input pixel and per low-res logit cell, and how much of the ground truth
  survives SAM's 256² logit grid: the GT itself, area-averaged onto that grid, upsampled
  back exactly as SAM's postprocess does and thresholded at 0.5 (IoU and recall of the
  thin parts). This resolution ceiling estimate depends only on geometry, not on
  weights, so it is meaningful with random weights; it says nothing about how well a
  trained SAM uses the extra resolution.

Run: ``python benchmarks/sam_latency.py [--models vit_t vit_b] [--threads 2] [--bf16]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from dis_annotator.engine.sam_backbone import CropPolicy, SamBackbone  # noqa: E402
from dis_annotator.engine.sam_embedding import SamEmbedding  # noqa: E402
from dis_annotator.engine.sam_model import PRESETS, SamConfig, build_sam  # noqa: E402
from dis_annotator.engine.sam_stage import SamCoarseStage  # noqa: E402
from dis_annotator.engine.sam_transforms import preprocess_shape  # noqa: E402
from dis_annotator.engine.types import Box, ImageData, Point, Prompt  # noqa: E402

TINY = SamConfig(32, 2, 1, (1,), prompt_embed_dim=64, decoder_mlp_dim=256, model_type="tiny")


def timed(fn, repeats: int) -> list[tuple[float, float]]:
    """(wall ms, process CPU ms) per call. With --threads 1, CPU time is what the call
    costs on an idle core, whatever else the shared machine is doing."""
    out = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        out.append(((time.perf_counter() - t0) * 1000.0, (time.process_time() - c0) * 1000.0))
    return out


def fmt(ms: list[tuple[float, float]]) -> str:
    wall = [w for w, _ in ms]
    cpu = [c for _, c in ms]
    return (f"wall median {statistics.median(wall):8.1f} ms (min {min(wall):7.1f})  "
            f"CPU median {statistics.median(cpu):8.1f} ms  n={len(ms)}")


def textured(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (max(1, h // 16), max(1, w // 16), 3), dtype=np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return img


def measure(
    name: str, sam, h: int, w: int, repeats: int, bf16: bool, prompt_only: bool = False
) -> dict[str, float]:
    """Prints one block for this model and image size; returns wall medians in ms."""
    backbone = SamBackbone(sam, name, "cpu", cpu_bf16=bf16)
    stage = SamCoarseStage(backbone)
    arr = textured(h, w, seed=1)
    image = ImageData(arr)
    hash_ms = timed(lambda: image.key, 1)  # content hash, once per image (then cached)
    enc = []
    if prompt_only:  # a random embedding in the cache: prompt latency without an encode
        torch.manual_seed(1)
        dim = sam.prompt_encoder.embed_dim
        backbone.cache.put((image.key, None), SamEmbedding(
            torch.randn(1, dim, 64, 64), None, (h, w), preprocess_shape(h, w, 1024)))
    for _ in range(0 if prompt_only else (2 if name != "tiny" else repeats)):
        backbone.cache.clear()
        enc += timed(lambda: backbone.embedding(image), 1)
    hit = timed(lambda: backbone.embedding(image), 50)
    emb = backbone.embedding(image)
    box = Box(w * 0.3, h * 0.3, w * 0.6, h * 0.55)
    box_in = emb.box_to_input_frame(np.array(box.as_tuple()))
    first = stage.predict(image, Prompt(box=box), None)
    box_ms = timed(lambda: stage.predict(image, Prompt(box=box), None), repeats)
    pts = (Point(w * 0.45, h * 0.4, True), Point(w * 0.35, h * 0.5, False))
    click = Prompt(box=box, points=pts)
    click_ms = timed(lambda: stage.predict(image, click, first), repeats)
    dec = timed(lambda: stage.decode(emb, None, None, box_in, None, True), repeats)
    # Random weights give masks that spill over most of the image; a trained SAM's box
    # mask sits inside the box. Time the postprocess for such a mask too: logits +8
    # inside the box's cells of the 256² grid, -8 outside.
    low = torch.full((1, 1, 256, 256), -8.0)
    bx0, by0, bx1, by1 = (int(v / 4) for v in box_in)
    low[..., by0:by1, bx0:bx1] = 8.0
    post = timed(lambda: stage.postprocess(emb, low, image, click), repeats)
    cover = first.mask.mean()
    tag = f"{name}{' bf16' if bf16 else ''} {w}x{h}"
    print(f"[{tag}] content hash       {fmt(hash_ms)} (once per image)")
    if enc:
        print(f"[{tag}] encode             {fmt(enc)}")
    print(f"[{tag}] cache hit          {fmt(hit)}")
    print(f"[{tag}] decoder only       {fmt(dec)}")
    print(f"[{tag}] box->mask cached   {fmt(box_ms)}  (random-weight mask covers {cover:.0%})")
    print(f"[{tag}] click->mask        {fmt(click_ms)}")
    print(f"[{tag}] postprocess, mask = box  {fmt(post)}")

    def med(ms: list[tuple[float, float]]) -> float:
        return statistics.median(w for w, _ in ms) if ms else float("nan")

    return {"encode": med(enc), "box": med(box_ms), "click": med(click_ms)}


SIZES = ((768, 1024), (4000, 6000))


def latency(
    name: str, config: SamConfig, repeats: int, bf16: bool, prompt_only: bool = False
) -> list[dict[str, float]]:
    torch.manual_seed(0)
    sam = build_sam(config)
    return [measure(name, sam, h, w, repeats, bf16, prompt_only) for h, w in SIZES]


def side_by_side(rows: dict[str, list[dict[str, float]]]) -> None:
    """One table: encode (once per image) and cached box / click latency, per model."""
    print("\nside by side (wall medians in ms; encode once per image, prompts on the cache)")
    print(f"{'model':10s} {'image':>10s} {'encode':>9s} {'box->mask':>10s} {'click->mask':>12s}")
    for i, (h, w) in enumerate(SIZES):
        for name, per_size in rows.items():
            r = per_size[i]
            print(f"{name:10s} {f'{w}x{h}':>10s} {r['encode']:9.0f} {r['box']:10.0f} "
                  f"{r['click']:12.0f}")


def thin_structure(h: int, w: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """GT: a solid body with 2-6 px wide spokes and a 3 px ring inside ``box``."""
    x0, y0, x1, y1 = box
    gt = np.zeros((h, w), np.uint8)
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    r = min(x1 - x0, y1 - y0) // 2 - 10
    cv2.circle(gt, (cx, cy), r // 5, 1, -1)
    for i, width in enumerate((2, 3, 4, 6, 2, 3, 4, 6)):
        a = i * np.pi / 4 + 0.2
        cv2.line(gt, (cx, cy), (int(cx + r * np.cos(a)), int(cy + r * np.sin(a))), 1, width)
    cv2.circle(gt, (cx, cy), r, 1, 3)
    return gt.astype(bool)


def logit_grid_ceiling(gt: np.ndarray, region: tuple[int, int, int, int], img_size: int = 1024):
    """The GT passed through SAM's 256² logit grid for ``region`` (area average, SAM's
    bilinear upsampling, threshold 0.5)."""
    x0, y0, x1, y1 = region
    sub = gt[y0:y1, x0:x1].astype(np.float32)
    oh, ow = sub.shape
    h, w = preprocess_shape(oh, ow, img_size)
    frame = np.zeros((img_size, img_size), np.float32)
    frame[:h, :w] = cv2.resize(sub, (w, h), interpolation=cv2.INTER_AREA)
    grid = cv2.resize(frame, (img_size // 4, img_size // 4), interpolation=cv2.INTER_AREA)
    t = torch.from_numpy(grid)[None, None]
    up = F.interpolate(t, (img_size, img_size), mode="bilinear", align_corners=False)[..., :h, :w]
    up = F.interpolate(up, (oh, ow), mode="bilinear", align_corners=False)[0, 0].numpy()
    pred = np.zeros_like(gt)
    pred[y0:y1, x0:x1] = up > 0.5
    return pred


def crop_benchmark(sam_cfg: SamConfig) -> None:
    H, W = 4000, 6000
    box = (2600, 1500, 3600, 2300)  # 1000×800 object in a 6000×4000 photo
    gt = thin_structure(H, W, box)
    body = cv2.dilate(cv2.erode(gt.astype(np.uint8), np.ones((9, 9), np.uint8)),
                      np.ones((9, 9), np.uint8)).astype(bool)
    thin = gt & ~body
    sam = build_sam(sam_cfg)
    backbone = SamBackbone(sam, "vit_b", "cpu", crop=CropPolicy(enabled=True))
    image = ImageData(np.zeros((H, W, 3), np.uint8))
    region = backbone.crop_region(image, Prompt(box=Box(*box)))
    print(f"[crop] image {W}x{H}, box {box[2]-box[0]}x{box[3]-box[1]}, crop region {region}")
    for label, reg in (("whole image", (0, 0, W, H)), ("crop-to-box", region)):
        rw, rh = reg[2] - reg[0], reg[3] - reg[1]
        px_per_input = max(rw, rh) / 1024
        pred = logit_grid_ceiling(gt, reg)
        inter = (pred & gt).sum()
        iou = inter / (pred | gt).sum()
        recall_thin = (pred & thin).sum() / thin.sum()
        print(
            f"[crop] {label:12s} image px per encoder px {px_per_input:5.2f}, "
            f"per logit cell {px_per_input * 4:5.1f}; ceiling IoU {iou:.3f}, "
            f"thin-part recall {recall_thin:.3f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["vit_t", "vit_b"],
                    help="vit_t (MobileSAM), vit_b, vit_l, vit_h, tiny")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--bf16", action="store_true", help="also time bf16 autocast encoders")
    ap.add_argument("--skip-crop", action="store_true")
    ap.add_argument("--prompt-only", action="store_true",
                    help="skip encodes: time prompts on a random cached embedding")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rows = {}
    for m in args.models:
        cfg = TINY if m == "tiny" else PRESETS[m]
        rows[m] = latency(m, cfg, args.repeats, bf16=False, prompt_only=args.prompt_only)
        if args.bf16 and m != "tiny":
            rows[f"{m} bf16"] = latency(m, cfg, 3, bf16=True)
    side_by_side(rows)
    print(f"load average after the run: {os.getloadavg()[0]:.1f}")
    if not args.skip_crop:
        crop_benchmark(TINY)


if __name__ == "__main__":
    main()
