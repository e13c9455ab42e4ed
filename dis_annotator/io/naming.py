"""Output file names shared by the batch command and the app's export.

For an image at ``<relative dir>/<stem>.<ext>`` and output folder ``OUT``:

- union of all objects: ``OUT/<relative dir>/<stem>.png``
- object ``k`` (1-based, in object order): ``OUT/<relative dir>/<stem>_obj<k>.png``
- RGBA cut-outs: ``<stem>_cutout.png`` (union) and ``<stem>_obj<k>_cutout.png``
"""

from __future__ import annotations

from pathlib import Path, PurePath


def union_mask_path(out_dir: Path, rel_image: PurePath) -> Path:
    return out_dir / rel_image.parent / f"{rel_image.stem}.png"


def object_mask_path(out_dir: Path, rel_image: PurePath, index: int) -> Path:
    return out_dir / rel_image.parent / f"{rel_image.stem}_obj{index}.png"


def cutout_path(out_dir: Path, rel_image: PurePath, index: int | None = None) -> Path:
    part = f"_obj{index}" if index is not None else ""
    return out_dir / rel_image.parent / f"{rel_image.stem}{part}_cutout.png"
