"""Write synthetic samples in the DIS5K layout (``<split>/im/*.jpg``, ``<split>/gt/*.png``).

Sample ``i`` is generated from ``np.random.default_rng([seed, i])``, so a dataset is the
same for a seed whatever ``n`` or the split fractions are, and any one sample can be
regenerated alone. A ``synth.json`` manifest beside the splits records the seed, size,
and each stem's split, kind, background kind and GT box.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np

from dis_annotator.io import atomic_write_bytes, atomic_write_text, write_mask_png
from dis_annotator.training.dis5k import SUBSETS
from dis_annotator.training.synth.sample import generate_sample

DEFAULT_SPLITS: dict[str, float] = {"DIS-TR": 0.8, "DIS-VD": 0.1, "DIS-TE1": 0.1}
JPEG_QUALITY = 92


def split_counts(n: int, splits: dict[str, float]) -> dict[str, int]:
    """Integer counts per split summing to ``n`` (largest remainders, order kept)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not splits or any(f < 0 for f in splits.values()) or sum(splits.values()) <= 0:
        raise ValueError(f"split fractions must be >= 0 and not all zero, got {splits}")
    total = sum(splits.values())
    exact = {k: n * f / total for k, f in splits.items()}
    counts = {k: int(np.floor(v)) for k, v in exact.items()}
    rest = n - sum(counts.values())
    for k in sorted(exact, key=lambda k: counts[k] - exact[k])[:rest]:
        counts[k] += 1
    return counts


def _write_one(task: tuple) -> tuple[str, dict]:
    """Generate and write sample ``i`` (a top-level function so worker processes can run it)."""
    out, i, seed, size, kinds, split = task
    s = generate_sample(np.random.default_rng([seed, i]), size, kinds)
    stem = f"synth_{i:06d}"
    root = Path(out) / split
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(s.image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )
    if not ok:
        raise OSError("JPEG encoding failed")
    atomic_write_bytes(root / "im" / f"{stem}.jpg", buf.tobytes())
    write_mask_png(root / "gt" / f"{stem}.png", s.gt)
    return stem, {"split": split, "kind": s.kind, "background": s.background, "box": list(s.box)}


def write_dataset(
    out_dir: str | os.PathLike[str],
    n: int,
    seed: int = 0,
    size: tuple[int, int] = (512, 512),
    splits: dict[str, float] | None = None,
    *,
    kinds: Sequence[str] | None = None,
    progress: bool = False,
    workers: int = 1,
) -> dict[str, int]:
    """Generate ``n`` samples into ``out_dir`` split by ``splits`` fractions; → counts per split.

    Stems are ``synth_<index>`` (global index, unique across splits). Existing files of
    the same names are overwritten; other files are left alone. ``workers`` > 1 uses
    that many processes; the files are identical to a single-process run.
    """
    splits = dict(DEFAULT_SPLITS if splits is None else splits)
    if unknown := [k for k in splits if k not in SUBSETS]:
        raise ValueError(f"unknown subsets {unknown}; DIS5K subsets are {', '.join(SUBSETS)}")
    counts = split_counts(n, splits)
    out = Path(out_dir)
    # shuffle which indices land in which split, so kinds do not cluster by index
    order = np.random.default_rng(seed).permutation(n)
    assignment: dict[int, str] = {}
    start = 0
    for name, c in counts.items():
        for i in order[start : start + c]:
            assignment[int(i)] = name
        start += c
        if c:
            (out / name / "im").mkdir(parents=True, exist_ok=True)
            (out / name / "gt").mkdir(parents=True, exist_ok=True)
    kinds = None if kinds is None else list(kinds)
    tasks = [(str(out), i, seed, tuple(size), kinds, assignment[i]) for i in range(n)]
    results: Iterable[tuple[str, dict]]
    pool = None
    if workers > 1 and n > 1:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=int(workers))
        results = pool.map(_write_one, tasks, chunksize=max(1, min(16, n // (4 * workers))))
    else:
        results = map(_write_one, tasks)
    if progress:
        from tqdm import tqdm

        results = tqdm(results, total=n, desc="synth", unit="img")
    try:
        records = dict(results)
    finally:
        if pool is not None:
            pool.shutdown()
    manifest = {"generator": "dis_annotator.training.synth", "seed": seed,
                "size": list(size), "splits": counts, "samples": records}
    atomic_write_text(out / "synth.json", json.dumps(manifest, indent=1))
    return counts
