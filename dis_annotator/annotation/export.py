"""Export one image's masks with the names ``dis-annotator segment`` uses
(:mod:`dis_annotator.io.naming`): union ``<stem>.png``, ``<stem>_obj<k>.png`` (k = 1-based
object order), optional RGBA ``_cutout`` variants; binary 0/255 PNG at full size."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePath

import numpy as np

from dis_annotator.annotation.document import Document
from dis_annotator.io import load_image, write_cutout_png, write_mask_png
from dis_annotator.io.naming import cutout_path, object_mask_path, union_mask_path

EXPORT_DIR_NAME = "masks"


def default_export_dir(image_path: str | os.PathLike[str]) -> Path:
    """``<image folder>/masks/``."""
    return Path(image_path).parent / EXPORT_DIR_NAME


def export_document(
    doc: Document,
    image_rgb: np.ndarray | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    rel_path: str | PurePath | None = None,
    per_object: bool = True,
    cutouts: bool = False,
    include_hidden: bool = True,
) -> list[Path]:
    """Write the masks of ``doc``; returns the written paths (union first).

    ``out_dir`` defaults to :func:`default_export_dir`, ``rel_path`` (the image's path
    relative to the input root, which decides sub-folders and stem) to the image file
    name. ``image_rgb`` (H×W×3 uint8) is needed only for ``cutouts`` and is loaded from
    ``doc.image_path`` when omitted. Hidden objects are exported unless
    ``include_hidden`` is False. With ``per_object``, stale ``<stem>_obj<k>`` files for
    ``k`` beyond the current object count (left by an earlier export) are removed.
    """
    out = Path(out_dir) if out_dir is not None else default_export_dir(doc.image_path)
    rel = PurePath(rel_path) if rel_path is not None else PurePath(doc.image_path.name)
    objects = [o for o in doc.objects if o.visible or include_hidden]
    if cutouts:
        if image_rgb is None:
            image_rgb = load_image(doc.image_path)
        if image_rgb.shape[:2] != doc.shape:
            raise ValueError(
                f"image is {image_rgb.shape[1]}x{image_rgb.shape[0]}, "
                f"document is {doc.width}x{doc.height}"
            )
    written: list[Path] = []
    union = doc.empty_mask()
    for o in objects:
        union |= o.mask
    p = union_mask_path(out, rel)
    write_mask_png(p, union)
    written.append(p)
    if cutouts:
        p = cutout_path(out, rel)
        write_cutout_png(p, image_rgb, union)
        written.append(p)
    if per_object:
        for k, o in enumerate(objects, start=1):
            p = object_mask_path(out, rel, k)
            write_mask_png(p, o.mask)
            written.append(p)
            if cutouts:
                p = cutout_path(out, rel, k)
                write_cutout_png(p, image_rgb, o.mask)
                written.append(p)
        _remove_stale(union_mask_path(out, rel).parent, rel.stem, len(objects))
    return written


def _remove_stale(folder: Path, stem: str, count: int) -> None:
    pattern = re.compile(rf"^{re.escape(stem)}_obj(\d+)(_cutout)?\.png$")
    if not folder.is_dir():
        return
    for f in folder.iterdir():
        m = pattern.match(f.name)
        if m and int(m.group(1)) > count:
            try:
                f.unlink()
            except OSError:
                pass
