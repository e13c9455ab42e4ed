"""Finding prediction/GT pairs on disk: match by file stem, DIS5K subsets.

DIS5K layout: ``ROOT/DIS-VD/{im,gt}``, ``ROOT/DIS-TE1/{im,gt}`` … ``DIS-TE4``. A folder
with ``im/`` and ``gt/`` is one subset; a plain folder of masks is one subset too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MASK_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
TEST_PREFIX = "DIS-TE"


@dataclass(frozen=True)
class Subset:
    """One evaluated folder: its name, its GT folder and (if any) its image folder."""

    name: str
    gt_dir: Path
    im_dir: Path | None = None


def find_subsets(root: str | Path) -> list[Subset]:
    """The subsets under ``root`` (see the module docstring), sorted by name."""
    root = Path(root)
    if (root / "gt").is_dir():
        return [Subset(root.name, root / "gt", _im_dir(root))]
    subs = sorted(d for d in root.iterdir() if d.is_dir() and (d / "gt").is_dir())
    if subs:
        return [Subset(d.name, d / "gt", _im_dir(d)) for d in subs]
    return [Subset(root.name, root, None)]


def _im_dir(d: Path) -> Path | None:
    return d / "im" if (d / "im").is_dir() else None


def files_by_stem(folder: Path, suffixes: tuple[str, ...] = MASK_SUFFIXES) -> dict[str, Path]:
    """``{stem: path}`` for the image files directly in ``folder`` (first suffix wins)."""
    out: dict[str, Path] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in suffixes:
            out.setdefault(path.stem, path)
    return out


def pred_folder(pred_root: Path, subset: Subset, several: bool) -> Path:
    """Where predictions for ``subset`` live: ``PRED/<subset>/`` if present, else ``PRED``."""
    if several and (pred_root / subset.name).is_dir():
        return pred_root / subset.name
    return pred_root


def match_pairs(
    pred_dir: Path, gt_dir: Path
) -> tuple[list[tuple[str, Path, Path]], list[str]]:
    """``([(stem, pred, gt)], [stems of GT files without a prediction])`` in stem order."""
    preds = files_by_stem(pred_dir)
    gts = files_by_stem(gt_dir)
    pairs = [(stem, preds[stem], gt) for stem, gt in sorted(gts.items()) if stem in preds]
    missing = sorted(stem for stem in gts if stem not in preds)
    return pairs, missing
