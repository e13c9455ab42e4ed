"""The batch job behind ``dis-annotator segment``: boxes in, PNG masks out.

Resumable: an image whose outputs all exist is skipped (unless ``overwrite``); the
union mask is written last, so its presence means the image is complete.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from dis_annotator.engine.pipeline import Pipeline
from dis_annotator.engine.types import Box, ImageData, Prompt, Request
from dis_annotator.io import (
    IMAGE_SUFFIXES,
    ImageLoadError,
    atomic_write_text,
    load_image,
    mask_to_rle,
    read_mask_png,
    write_cutout_png,
    write_mask_png,
)
from dis_annotator.io.boxes import BoxEntry, BoxTable
from dis_annotator.io.naming import cutout_path, object_mask_path, union_mask_path


@dataclass
class ImageJob:
    path: Path
    rel: PurePosixPath
    boxes: list[BoxEntry]


@dataclass
class BatchOptions:
    out_dir: Path
    per_object: bool = False
    cutout: bool = False
    coco: Path | None = None
    overwrite: bool = False


@dataclass
class BatchReport:
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def collect_images(inputs: Sequence[Path], exclude: Path | None = None) -> list[tuple[Path, PurePosixPath]]:
    """Images named directly, or found recursively in folders (hidden folders skipped)."""
    found: list[tuple[Path, PurePosixPath]] = []
    excluded = exclude.resolve() if exclude is not None else None
    for item in inputs:
        if item.is_dir():
            for p in sorted(item.rglob("*")):
                rel = p.relative_to(item)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if excluded is not None and excluded in p.resolve().parents:
                    continue
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
                    found.append((p, PurePosixPath(rel.as_posix())))
        else:
            found.append((item, PurePosixPath(item.name)))
    return found


def match_boxes(
    images: Iterable[tuple[Path, PurePosixPath]], table: BoxTable
) -> tuple[list[ImageJob], list[str], list[str]]:
    """Pair images with their boxes: by relative path, else by unique file name.

    Returns (jobs, images without boxes, box-file keys matching no image).
    """
    by_name: dict[str, list[str]] = {}
    for key in table:
        by_name.setdefault(PurePosixPath(key).name, []).append(key)
    used: set[str] = set()
    jobs, no_boxes = [], []
    for path, rel in images:
        key = str(rel) if str(rel) in table else None
        if key is None and len(by_name.get(rel.name, [])) == 1:
            key = by_name[rel.name][0]
        if key is None or not table[key]:
            no_boxes.append(str(rel))
            continue
        used.add(key)
        jobs.append(ImageJob(path, rel, table[key]))
    unmatched = [k for k in table if k not in used and table[k]]
    return jobs, no_boxes, unmatched


def _outputs(job: ImageJob, opts: BatchOptions) -> list[Path]:
    paths = []
    if opts.per_object:
        paths += [object_mask_path(opts.out_dir, job.rel, k) for k in range(1, len(job.boxes) + 1)]
    if opts.cutout:
        paths.append(cutout_path(opts.out_dir, job.rel))
        if opts.per_object:
            paths += [cutout_path(opts.out_dir, job.rel, k) for k in range(1, len(job.boxes) + 1)]
    paths.append(union_mask_path(opts.out_dir, job.rel))  # last: marks completion
    return paths


def segment_image(job: ImageJob, pipeline: Pipeline) -> tuple[np.ndarray, list[np.ndarray], dict]:
    """Load one image and segment each of its boxes. Raises ImageLoadError/ValueError."""
    rgb = load_image(job.path)
    image = ImageData(rgb, name=str(job.rel))
    masks, provenance = [], {}
    for k, entry in enumerate(job.boxes, start=1):
        try:
            result = pipeline.run(Request(image, Prompt(box=Box(*entry.box)), object_id=str(k)))
        except ValueError as exc:
            raise ValueError(f"box {k} {list(entry.box)}: {exc}") from None
        if result.failure is not None:  # an empty mask is no answer: fail the image, loudly
            raise ValueError(f"box {k} {list(entry.box)}: {result.failure}")
        masks.append(result.mask)
        provenance = result.provenance
    return rgb, masks, provenance


def _write(job: ImageJob, opts: BatchOptions, rgb: np.ndarray, masks: list[np.ndarray]) -> None:
    union = np.logical_or.reduce(masks)
    if opts.per_object:
        for k, m in enumerate(masks, start=1):
            write_mask_png(object_mask_path(opts.out_dir, job.rel, k), m)
    if opts.cutout:
        write_cutout_png(cutout_path(opts.out_dir, job.rel), rgb, union)
        if opts.per_object:
            for k, m in enumerate(masks, start=1):
                write_cutout_png(cutout_path(opts.out_dir, job.rel, k), rgb, m)
    write_mask_png(union_mask_path(opts.out_dir, job.rel), union)


class CocoWriter:
    """Collects COCO instances with RLE segmentations; written atomically at the end."""

    def __init__(self) -> None:
        self.images: list[dict] = []
        self.annotations: list[dict] = []
        self.categories: dict[str, int] = {}

    def add(self, job: ImageJob, masks: list[np.ndarray]) -> None:
        image_id = len(self.images) + 1
        h, w = masks[0].shape
        self.images.append({"id": image_id, "file_name": str(job.rel), "width": w, "height": h})
        for entry, m in zip(job.boxes, masks, strict=True):
            cat = self.categories.setdefault(entry.label or "object", len(self.categories) + 1)
            box = Box.from_mask(m)
            bbox = [box.x0, box.y0, box.width, box.height] if box else [0.0, 0.0, 0.0, 0.0]
            self.annotations.append({
                "id": len(self.annotations) + 1,
                "image_id": image_id,
                "category_id": cat,
                "segmentation": mask_to_rle(m),
                "area": int(m.sum()),
                "bbox": bbox,
                "iscrowd": 0,
            })

    def write(self, path: Path) -> None:
        data = {
            "images": self.images,
            "annotations": self.annotations,
            "categories": [{"id": i, "name": n} for n, i in self.categories.items()],
        }
        atomic_write_text(path, json.dumps(data))


def _existing_masks(job: ImageJob, opts: BatchOptions) -> list[np.ndarray]:
    if opts.per_object:
        return [read_mask_png(object_mask_path(opts.out_dir, job.rel, k)) for k in range(1, len(job.boxes) + 1)]
    return [read_mask_png(union_mask_path(opts.out_dir, job.rel))]


def run_batch(jobs: list[ImageJob], pipeline: Pipeline, opts: BatchOptions, progress: bool = True) -> BatchReport:
    from tqdm import tqdm

    report = BatchReport()
    # a.jpg and a.png would write the same a.png: refuse the second instead of overwriting.
    owners: dict[Path, str] = {}
    kept = []
    for job in jobs:
        target = union_mask_path(opts.out_dir, job.rel)
        if target in owners:
            report.failed.append(
                (str(job.rel), f"output {target.name} would overwrite {owners[target]}'s; rename one")
            )
            continue
        owners[target] = str(job.rel)
        kept.append(job)
    jobs = kept
    coco = CocoWriter() if opts.coco is not None else None
    t0 = time.perf_counter()
    bar = tqdm(jobs, unit="img", disable=not progress, dynamic_ncols=True)
    for job in bar:
        bar.set_postfix_str(str(job.rel)[-40:])
        if not opts.overwrite and all(p.exists() for p in _outputs(job, opts)):
            report.skipped.append(str(job.rel))
            if coco is not None:
                masks = _existing_masks(job, opts)
                if len(masks) != len(job.boxes):  # union only: one COCO object for all boxes
                    job = ImageJob(job.path, job.rel, [BoxEntry((0, 0, 1, 1), "object")])
                coco.add(job, masks)
            continue
        try:
            rgb, masks, _ = segment_image(job, pipeline)
            _write(job, opts, rgb, masks)
        except (ImageLoadError, ValueError, OSError) as exc:
            report.failed.append((str(job.rel), str(exc).splitlines()[0]))
            continue
        except MemoryError:
            report.failed.append((str(job.rel), "out of memory"))
            continue
        report.written.append(str(job.rel))
        if coco is not None:
            coco.add(job, masks)
    bar.close()
    if coco is not None and opts.coco is not None:
        coco.write(opts.coco)
    report.seconds = time.perf_counter() - t0
    return report
