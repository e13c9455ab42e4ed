"""Pi-SAM latency: a click through the Precise Interactor vs SAM's own re-prompt.

Random weights with the real shapes (timing does not depend on the values). Prints ms
per call (median of ``--repeats``) for:

* ``sam_reprompt``: SAM prompt encoder (box + all clicks + previous logits) + mask
  decoder + upsampling the low-res logits to the 1024² frame — what a click costs
  without Pi-SAM;
* ``pisam_box``: the frozen SAM decoder pass for the box + feature fusion + Object
  Embedder + HR head (once per box);
* ``pisam_click``: interactor + HR head with all clicks so far (every click);
* optionally (``--encoder``) the image encoder, to put the numbers in the paper's
  frame: Pi-SAM's speed relative to SAM for a whole image+box prediction
  (paper, Table 6: 93 % of SAM's FPS with ViT-H on GPU).

    python benchmarks/pisam_latency.py --sam-model vit_b --clicks 5 --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dis_annotator.engine.sam_model import PRESETS, build_sam  # noqa: E402
from dis_annotator.nets.pisam.decoder import PiSamDecoder  # noqa: E402
from dis_annotator.nets.pisam.sam_decoder_ext import (  # noqa: E402
    SamDecoderExt,
    box_prompt_decode,
)


def timed(fn, repeats: int, sync) -> float:
    fn()  # warm-up
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sam-model", default="vit_b", choices=sorted(PRESETS))
    ap.add_argument("--clicks", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--encoder", action="store_true", help="also time the image encoder")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    torch.manual_seed(0)
    cfg = PRESETS[args.sam_model]
    sam = build_sam(cfg).to(dev).eval()
    frame, side = cfg.image_size, cfg.image_size // cfg.patch_size
    features = torch.randn(1, 256, side, side, device=dev)
    interm = torch.randn(1, side, side, cfg.encoder_embed_dim, device=dev)
    image = torch.randn(1, 3, frame, frame, device=dev)
    box = torch.tensor([[200.0, 150.0, 800.0, 900.0]], device=dev)
    n = args.clicks
    coords = torch.rand(1, n, 2, device=dev) * 600 + 200
    labels = (torch.arange(n, device=dev) % 2).view(1, n)
    prev = torch.randn(1, 1, frame // 4, frame // 4, device=dev)

    ext = SamDecoderExt(sam.mask_decoder)
    dec = PiSamDecoder(cfg.encoder_embed_dim).to(dev).eval()
    torch.nn.init.normal_(dec.interactor.out_conv.weight, std=0.01)  # a trained-like residual

    @torch.no_grad()
    def sam_reprompt() -> None:
        sparse, dense = sam.prompt_encoder(points=(coords, labels), boxes=box, masks=prev)
        low, _ = sam.mask_decoder(features, sam.prompt_encoder.get_dense_pe(), sparse, dense, False)
        F.interpolate(low, (frame, frame), mode="bilinear", align_corners=False)

    @torch.no_grad()
    def pisam_box():
        out = box_prompt_decode(sam, features, box, ext)
        obj = dec.embed(out, features, interm)
        obj.rgb = dec.head.rgb_embed(image)  # as the corrector does: once per box
        dec.predict(obj, image)
        return obj

    obj = pisam_box()

    @torch.no_grad()
    def pisam_click() -> None:
        dec.predict(obj, image, coords, labels)

    @torch.no_grad()
    def encoder() -> None:
        sam.image_encoder(image)

    r = {
        "sam_reprompt": timed(sam_reprompt, args.repeats, sync),
        "pisam_click": timed(pisam_click, args.repeats, sync),
        "pisam_box": timed(pisam_box, args.repeats, sync),
    }
    if args.encoder:
        r["encoder"] = timed(encoder, max(1, args.repeats // 2), sync)
    print(f"device={dev} sam={args.sam_model} clicks={n} threads={torch.get_num_threads()}")
    for k, v in r.items():
        print(f"{k:14s} {v:9.1f} ms")
    print(f"click overhead: Pi-SAM click / SAM re-prompt = {r['pisam_click'] / r['sam_reprompt']:.2f}x")
    if args.encoder:
        sam_total = r["encoder"] + r["sam_reprompt"]
        pisam_total = r["encoder"] + r["pisam_box"]
        print(f"whole image+box prediction: Pi-SAM runs at {100 * sam_total / pisam_total:.0f} % "
              f"of SAM's speed (paper: ~93 % on GPU, ViT-H)")
    extra = sum(p.numel() for p in dec.parameters())
    print(f"Pi-SAM parameters: {extra / 1e6:.3f} M "
          f"({100 * extra / sum(p.numel() for p in sam.parameters()):.2f} % of SAM)")


if __name__ == "__main__":
    main()
