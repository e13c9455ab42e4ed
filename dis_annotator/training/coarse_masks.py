"""Coarse masks for refiner training, written by ``dis-annotator data coarse-masks``.

It precomputes one coarse mask per training sample — per image and GT
component, ``k`` indexing :func:`dis5k.enrich_components` — so refiner training sees the
same kind of input the refine stage gets at inference. With SAM weights (``--engine
auto`` finds them, ``sam`` requires them) SAM is prompted with the component's GT box;
otherwise the documented SAM-like degradation of the GT (:mod:`degrade`) stands in,
seeded per (seed, subset, stem, k). Layout, next to the data (or under ``--out``)::

    <root>/<subset>/coarse/<stem>_<k>.png   8-bit probability (0..255), full image size
    <root>/<subset>/coarse/index.json       {"samples": {stem: {"n", "boxes", "source"}}, ...}

Existing mask files are kept (the run resumes) unless ``--overwrite``.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any


# -- coarse-mask sources ----------------------------------------------------------------
class DegradeSource:
    """Coarse masks from the GT by :func:`degrade.sam_like_coarse` (no image needed)."""

    needs_image = False

    def describe(self) -> str:
        return "SAM-like degradation of the GT (no SAM weights in use)"

    def coarse(self, image: Any, components: list, rngs: list) -> list:
        from dis_annotator.training.degrade import sam_like_coarse

        return [sam_like_coarse(c, rng) for c, rng in zip(components, rngs, strict=True)]


class SamSource:
    """Coarse masks from a learned coarse stage prompted with each component's GT box."""

    needs_image = True

    def __init__(self, stage: Any) -> None:
        self.stage = stage

    def describe(self) -> str:
        return f"{self.stage.name} prompted with each component's GT box"

    def coarse(self, image: Any, components: list, rngs: list) -> list:
        import numpy as np

        from dis_annotator.engine.types import Box, ImageData, Prompt
        from dis_annotator.training.dis5k import component_box

        data = ImageData(image)
        self.stage.prepare(data)
        out = []
        for comp in components:
            res = self.stage.predict(data, Prompt(box=Box(*map(float, component_box(comp)))), None)
            full = res.mask.astype(np.float32)
            if res.prob is not None and res.prob_box is not None:
                x0, y0, x1, y1 = res.prob_box.int_bounds()
                x0, y0 = max(0, x0), max(0, y0)
                x1, y1 = min(full.shape[1], x1), min(full.shape[0], y1)
                prob = np.asarray(res.prob, np.float32)
                if prob.shape != (y1 - y0, x1 - x0):
                    import cv2

                    prob = cv2.resize(prob, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
                full[y0:y1, x0:x1] = prob
            out.append(np.clip(full, 0.0, 1.0))
        return out


def pick_coarse_source(engine: str, device: str | None = None) -> DegradeSource | SamSource:
    """``classical`` → degradation; ``sam`` → SAM or an error; ``auto`` → SAM if installed."""
    if engine == "classical":
        return DegradeSource()
    from dis_annotator.engine.factory import build_pipeline

    try:
        pipeline = build_pipeline(engine=engine, refiner="none", corrector="classical",
                                  device=device)
    except ModuleNotFoundError as exc:
        # a checkout without the SAM stage module: only --engine sam makes that an error
        if engine == "sam" or not (exc.name or "").startswith("dis_annotator.engine"):
            raise
        return DegradeSource()
    if pipeline.coarse.learned:
        return SamSource(pipeline.coarse)
    return DegradeSource()


# -- writer ------------------------------------------------------------------------------
class CoarseMaskWriter:
    """Writes ``<out_root>/<subset>/coarse/<stem>_<k>.png`` and ``index.json`` per subset."""

    def __init__(self, source: DegradeSource | SamSource, out_root: Path, seed: int = 0,
                 min_fraction: float | None = None, overwrite: bool = False) -> None:
        from dis_annotator.training.dis5k import MIN_FRACTION

        self.source, self.out_root, self.seed = source, Path(out_root), int(seed)
        self.min_fraction = MIN_FRACTION if min_fraction is None else float(min_fraction)
        self.overwrite = overwrite

    def _rngs(self, subset: str, stem: str, n: int) -> list:
        import numpy as np

        base = [self.seed, zlib.crc32(subset.encode()), zlib.crc32(stem.encode())]
        return [np.random.default_rng([*base, k]) for k in range(n)]

    def run(self, root: Path, subset: str, progress: bool = False) -> dict[str, int]:
        """Process one subset; → counts of images, masks written / kept, failed images."""
        import cv2
        import numpy as np

        from dis_annotator.io import ImageLoadError, atomic_write_text, encode_png, load_image
        from dis_annotator.io.atomic import atomic_write_bytes
        from dis_annotator.training.dis5k import (
            COARSE_INDEX,
            binarize_gt,
            coarse_dir,
            coarse_path,
            component_box,
            enrich_components,
            list_pairs,
        )

        pairs = list_pairs(root, subset)
        folder = coarse_dir(self.out_root, subset)
        folder.mkdir(parents=True, exist_ok=True)
        index_file = folder / COARSE_INDEX
        index: dict[str, Any] = {}
        if index_file.is_file() and not self.overwrite:
            index = json.loads(index_file.read_text()).get("samples", {})
        stats = {"images": len(pairs), "written": 0, "kept": 0, "failed": 0}
        items: Any = pairs
        if progress:
            from tqdm import tqdm

            items = tqdm(pairs, desc=f"coarse {subset}", unit="img")
        for im_path, gt_path in items:
            stem = im_path.stem
            try:
                gt_raw = cv2.imread(str(gt_path), cv2.IMREAD_GRAYSCALE)
                if gt_raw is None:
                    raise OSError(f"{gt_path}: cannot read GT")
                comps = enrich_components(binarize_gt(gt_raw), self.min_fraction)
                paths = [coarse_path(self.out_root, subset, stem, k) for k in range(len(comps))]
                if not self.overwrite and all(p.is_file() for p in paths) and stem in index:
                    stats["kept"] += len(paths)
                    continue
                image = load_image(im_path) if self.source.needs_image else None
                if image is not None and image.shape[:2] != gt_raw.shape:
                    raise ValueError(f"{im_path.name}: image {image.shape[:2]} and GT "
                                     f"{gt_raw.shape} sizes differ")
                maps = self.source.coarse(image, comps, self._rngs(subset, stem, len(comps)))
                for p, m in zip(paths, maps, strict=True):
                    atomic_write_bytes(p, encode_png(np.clip(m * 255.0 + 0.5, 0, 255).astype(np.uint8)))
                stats["written"] += len(paths)
                index[stem] = {"n": len(comps), "boxes": [list(component_box(c)) for c in comps],
                               "source": self.source.describe()}
            except (ImageLoadError, OSError, ValueError) as exc:
                stats["failed"] += 1
                msg = f"skipped {im_path.name}: {exc}"
                if progress:
                    from tqdm import tqdm

                    tqdm.write(msg)
                else:
                    print(msg)
        manifest = {"layout": "<stem>_<k>.png = coarse mask of enrich_components(gt)[k], "
                              "8-bit probability at full image size",
                    "min_fraction": self.min_fraction, "seed": self.seed, "samples": index}
        atomic_write_text(index_file, json.dumps(manifest, indent=1))
        return stats
