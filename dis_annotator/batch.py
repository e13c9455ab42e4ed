"""The batch job behind ``dis-annotator segment``: boxes in, PNG masks out.

Resumable: an image whose outputs all exist and look whole is skipped (unless
``overwrite``); the union mask is written last, so its presence means the image is
complete. Before any work, :func:`plan_batch` makes sure no output is an input
(:class:`BatchUsageError`) and that no two images write the same file (the later one is
refused); see docs/adr/0120.
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
from dis_annotator.io.atomic import remove_stale_temps
from dis_annotator.io.boxes import BoxEntry, BoxTable
from dis_annotator.io.load import image_size
from dis_annotator.io.naming import (
    OutputClaims,
    cutout_path,
    object_mask_path,
    output_paths,
    union_mask_path,
)


class BatchUsageError(ValueError):
    """The command line asks for something impossible (exit 2); one-line message."""


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
    report: Path | None = None  # per-object CSV (dis_annotator/batch_report.py)
    uncertainty: bool = False  # also write <stem>_uncertainty.png


@dataclass
class BatchReport:
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rows: list[dict] = field(default_factory=list)  # --report rows of the computed images


@dataclass
class BatchPlan:
    jobs: list[ImageJob]
    refused: list[tuple[str, str]]  # (image, reason): an output another image also writes


def collect_images(inputs: Sequence[Path], exclude: Path | None = None) -> list[tuple[Path, PurePosixPath]]:
    """Images named directly, or found recursively in folders (hidden folders skipped)."""
    found: list[tuple[Path, PurePosixPath]] = []
    excluded = exclude.resolve() if exclude is not None else None
    seen: set[Path] = set()

    def add(p: Path, rel: PurePosixPath) -> None:
        key = p.resolve()
        if key not in seen:  # a file named directly and again inside a folder argument
            seen.add(key)
            found.append((p, rel))

    for item in inputs:
        if item.is_dir():
            for p in sorted(item.rglob("*")):
                rel = p.relative_to(item)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if excluded is not None and excluded in p.resolve().parents:
                    continue
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
                    add(p, PurePosixPath(rel.as_posix()))
        else:
            add(item, PurePosixPath(item.name))
    return found


def _suffix_match(path: Path, rel: PurePosixPath, key_parts: tuple[str, ...]) -> bool:
    n = len(key_parts)
    return rel.parts[-n:] == key_parts or PurePosixPath(path.as_posix()).parts[-n:] == key_parts


def match_boxes(
    images: Iterable[tuple[Path, PurePosixPath]], table: BoxTable
) -> tuple[list[ImageJob], list[str], list[str]]:
    """Pair images with their boxes (docs/adr/0120).

    A key selects the image whose relative path equals it; else the images whose path
    ends with it (``2019/img001.png``, ``img001.png``). A key that selects several images,
    or an image selected by several keys, raises :class:`BatchUsageError` naming them.
    Returns (jobs, images without boxes, box-file keys matching no image).
    """
    images = list(images)
    by_name: dict[str, list[int]] = {}
    for i, (_, rel) in enumerate(images):
        by_name.setdefault(rel.name, []).append(i)
    chosen: dict[int, str] = {}
    unmatched = []
    for key in table:
        key_path = PurePosixPath(key)
        cands = by_name.get(key_path.name, [])
        exact = [i for i in cands if str(images[i][1]) == key]
        if not exact:
            exact = [i for i in cands if _suffix_match(images[i][0], images[i][1], key_path.parts)]
        if len(exact) > 1:
            names = ", ".join(str(images[i][0]) for i in exact[:5])
            more = f" and {len(exact) - 5} more" if len(exact) > 5 else ""
            first = images[exact[0]][0]
            raise BatchUsageError(
                f"box key {key!r} is ambiguous: it matches {len(exact)} images ({names}{more}); "
                f"key each by its relative path, e.g. {first.parent.name}/{first.name}"
            )
        if not exact:
            if table[key]:
                unmatched.append(key)
            continue
        i = exact[0]
        if i in chosen:
            raise BatchUsageError(
                f"{images[i][0]} gets boxes from two keys, {chosen[i]!r} and {key!r}; keep one"
            )
        chosen[i] = key
    jobs, no_boxes = [], []
    for i, (path, rel) in enumerate(images):
        key = chosen.get(i)
        if key is None or not table[key]:
            no_boxes.append(str(rel))
            continue
        jobs.append(ImageJob(path, rel, table[key]))
    return jobs, no_boxes, unmatched


def _outputs(job: ImageJob, opts: BatchOptions) -> list[Path]:
    paths = output_paths(opts.out_dir, job.rel, len(job.boxes), opts.per_object, opts.cutout)
    if opts.uncertainty:
        from dis_annotator.batch_report import uncertainty_path

        paths.insert(0, uncertainty_path(opts.out_dir, job.rel))  # the union mask stays last
    return paths


def plan_batch(
    jobs: list[ImageJob], opts: BatchOptions, protected: Iterable[Path] = ()
) -> BatchPlan:
    """Check every output name before any work (docs/adr/0120).

    Raises :class:`BatchUsageError` when an output (or the COCO file) would overwrite a
    ``protected`` file — the inputs: images and box file. An image with an output that
    an earlier image also writes is refused (listed in ``refused``), never half-written.
    """
    claims = OutputClaims(protected)
    kept, refused = [], []
    planned = [(job, _outputs(job, opts)) for job in jobs]
    extra = [opts.coco] if opts.coco is not None else []
    for job, paths in planned:
        for p in paths:
            hit = claims.input_clash(p)
            if hit is not None:
                raise BatchUsageError(
                    f"output {p} of {job.rel} would overwrite the input {hit}; "
                    "choose another --out"
                )
    for p in extra:
        hit = claims.input_clash(p)
        if hit is not None:
            raise BatchUsageError(f"--coco {p} would overwrite the input {hit}")
    if extra:
        claims.claim("--coco", extra)
    for job, paths in planned:
        why = claims.claim(str(job.rel), paths)
        if why is not None:
            refused.append((str(job.rel), why))
        else:
            kept.append(job)
    return BatchPlan(kept, refused)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def damaged_output(path: Path, size: tuple[int, int] | None) -> str | None:
    """Why the PNG at ``path`` is not a whole ``size`` = (w, h) output, None when it looks
    whole: signature, header size and end marker (cheap: two small reads, no decode)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(24)
            fh.seek(0, 2)
            if fh.tell() < len(_PNG_END) + 24:
                return "truncated"
            fh.seek(-len(_PNG_END), 2)
            tail = fh.read()
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if not head.startswith(_PNG_SIGNATURE) or head[12:16] != b"IHDR":
        return "not a PNG"
    if tail != _PNG_END:
        return "truncated"
    w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if size is not None and (w, h) != tuple(size):
        return f"{w}x{h}, but the image is {size[0]}x{size[1]}"
    return None


def _resume_state(job: ImageJob, opts: BatchOptions) -> tuple[bool, str | None]:
    """(skip, note): skip when every output exists and looks whole; a note names a
    damaged one (the image is then recomputed)."""
    paths = _outputs(job, opts)
    if not all(p.exists() for p in paths):
        return False, None
    try:
        size = image_size(job.path)
    except ValueError:
        return False, None  # the image itself is the problem: let segmenting report it
    for p in paths:
        why = damaged_output(p, size)
        if why is not None:
            return False, f"{job.rel}: existing output {p.name} is damaged ({why}); recomputing"
    return True, None


def segment_image(job: ImageJob, pipeline: Pipeline, results: list | None = None
                  ) -> tuple[np.ndarray, list[np.ndarray], dict]:
    """Load one image and segment each of its boxes. Raises ImageLoadError/ValueError.
    ``results``: when given, each object's pipeline result is appended to it."""
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
        if results is not None:
            results.append(result)
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
    """The masks of a skipped image, for the COCO file; ValueError when one is unreadable."""
    if opts.per_object:
        return [read_mask_png(object_mask_path(opts.out_dir, job.rel, k)) for k in range(1, len(job.boxes) + 1)]
    return [read_mask_png(union_mask_path(opts.out_dir, job.rel))]


def _sweep_temps(jobs: list[ImageJob], opts: BatchOptions) -> None:
    """Remove temp files a killed earlier run left for this run's outputs."""
    names: dict[Path, set[str]] = {}
    for job in jobs:
        for p in _outputs(job, opts):
            names.setdefault(p.parent, set()).add(p.name)
    if opts.coco is not None:
        names.setdefault(opts.coco.parent, set()).add(opts.coco.name)
    for folder, wanted in names.items():
        if folder.is_dir():
            remove_stale_temps(folder, wanted)


def run_batch(
    jobs: list[ImageJob],
    pipeline: Pipeline,
    opts: BatchOptions,
    progress: bool = True,
    protected: Iterable[Path] = (),
) -> BatchReport:
    """Segment and write every job. Raises :class:`BatchUsageError` (before any work)
    when an output would overwrite a ``protected`` file or an input image."""
    from tqdm import tqdm

    report = BatchReport()
    plan = plan_batch(jobs, opts, [*protected, *(job.path for job in jobs)])
    report.failed.extend(plan.refused)
    jobs = plan.jobs
    _sweep_temps(jobs, opts)
    coco = CocoWriter() if opts.coco is not None else None
    t0 = time.perf_counter()
    bar = tqdm(jobs, unit="img", disable=not progress, dynamic_ncols=True)
    for job in bar:
        bar.set_postfix_str(str(job.rel)[-40:])
        skip, note = (False, None) if opts.overwrite else _resume_state(job, opts)
        if skip and coco is not None:
            try:
                masks = _existing_masks(job, opts)
            except ValueError as exc:
                skip, note = False, f"{job.rel}: existing output cannot be read ({exc}); recomputing"
            else:
                if len(masks) != len(job.boxes):  # union only: one COCO object for all boxes
                    coco.add(ImageJob(job.path, job.rel, [BoxEntry((0, 0, 1, 1), "object")]), masks)
                else:
                    coco.add(job, masks)
        if note is not None:
            report.notes.append(note)
        if skip:
            report.skipped.append(str(job.rel))
            continue
        try:
            results: list = []
            rgb, masks, _ = segment_image(job, pipeline, results)
            if opts.uncertainty:
                from dis_annotator.batch_report import uncertainty_path, write_uncertainty_png

                write_uncertainty_png(uncertainty_path(opts.out_dir, job.rel), results, rgb.shape[:2])
            _write(job, opts, rgb, masks)
        except (ImageLoadError, ValueError, OSError) as exc:
            report.failed.append((str(job.rel), str(exc).splitlines()[0]))
            report.rows.append({"image": str(job.rel), "error": str(exc).splitlines()[0]})
            continue
        except MemoryError:
            report.failed.append((str(job.rel), "out of memory"))
            continue
        report.written.append(str(job.rel))
        if opts.report is not None:
            from dis_annotator.batch_report import object_rows

            report.rows += object_rows(str(job.rel), [e.box for e in job.boxes], results)
        if coco is not None:
            coco.add(job, masks)
    bar.close()
    if coco is not None and opts.coco is not None:
        try:
            coco.write(opts.coco)
        except OSError as exc:
            report.failed.append((str(opts.coco), f"COCO file not written ({exc.strerror or exc})"))
    if opts.report is not None:
        from dis_annotator.batch_report import write_report

        try:
            write_report(opts.report, report.rows)
        except OSError as exc:
            report.failed.append((str(opts.report), f"report not written ({exc.strerror or exc})"))
    report.seconds = time.perf_counter() - t0
    return report
