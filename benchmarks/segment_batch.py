"""Time ``dis-annotator segment`` per image at 1 MP and 12 MP (classical stages).

Draws spoked wheels on textured backgrounds (the wheel spans 80 % of the shorter side),
runs the real batch command in a subprocess for each size — once with the full classical
pipeline, once with the coarse stage alone (``--refiner none``) — and prints seconds per
image and the mean IoU against the drawn truth.

    python benchmarks/segment_batch.py [--images 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.synthetic import iou, spoked_wheel, textured_background  # noqa: E402

SIZES = {"1MP": (1152, 864), "12MP": (4000, 3000)}


def make_images(folder: Path, w: int, h: int, n: int) -> tuple[dict, dict]:
    boxes, truths = {}, {}
    for i in range(n):
        rng = np.random.default_rng(i)
        side = int(min(w, h) * 0.8)
        wheel, truth, box = spoked_wheel(side, seed=i, spoke_px=max(2, side // 400))
        canvas = np.clip(textured_background(h, w, rng), 0, 255).astype(np.uint8)
        full = np.zeros((h, w), bool)
        x, y = (w - side) // 2, (h - side) // 2
        canvas[y : y + side, x : x + side] = wheel
        full[y : y + side, x : x + side] = truth
        name = f"img{i}.png"
        Image.fromarray(canvas).save(folder / name, compress_level=1)
        boxes[name] = [[box[0] + x, box[1] + y, box[2] + x, box[3] + y]]
        truths[name] = full
    return boxes, truths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--images", type=int, default=3)
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    print(f"{'size':>6} {'images':>6} {'refiner':>9} {'s/image':>8} {'mean IoU':>8}")
    for label, (w, h) in SIZES.items():
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            (tmp / "in").mkdir()
            boxes, truths = make_images(tmp / "in", w, h, args.images)
            (tmp / "boxes.json").write_text(json.dumps(boxes))
            for refiner in ("classical", "none"):
                out = tmp / f"out-{refiner}"
                t0 = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "dis_annotator", "segment", str(tmp / "in"), "--boxes",
                     str(tmp / "boxes.json"), "--out", str(out), "--no-progress",
                     "--engine", "classical", "--refiner", refiner],
                    check=True, env=env, capture_output=True,
                )
                per_image = (time.perf_counter() - t0) / args.images
                ious = [
                    iou(np.asarray(Image.open(out / f"{Path(n).stem}.png")) > 127, t)
                    for n, t in truths.items()
                ]
                print(f"{label:>6} {args.images:>6} {refiner:>9} {per_image:8.2f} {np.mean(ious):8.3f}")
    print("(s/image includes process start-up and image loading, averaged over the run)")


if __name__ == "__main__":
    main()
