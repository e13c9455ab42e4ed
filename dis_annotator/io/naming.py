"""Output file names shared by the batch command and the app's export.

For an image at ``<relative dir>/<stem>.<ext>`` and output folder ``OUT``:

- union of all objects: ``OUT/<relative dir>/<stem>.png``
- object ``k`` (1-based, in object order): ``OUT/<relative dir>/<stem>_obj<k>.png``
- RGBA cut-outs: ``<stem>_cutout.png`` (union) and ``<stem>_obj<k>_cutout.png``
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePath


def union_mask_path(out_dir: Path, rel_image: PurePath) -> Path:
    return out_dir / rel_image.parent / f"{rel_image.stem}.png"


def object_mask_path(out_dir: Path, rel_image: PurePath, index: int) -> Path:
    return out_dir / rel_image.parent / f"{rel_image.stem}_obj{index}.png"


def cutout_path(out_dir: Path, rel_image: PurePath, index: int | None = None) -> Path:
    part = f"_obj{index}" if index is not None else ""
    return out_dir / rel_image.parent / f"{rel_image.stem}{part}_cutout.png"


def output_paths(
    out_dir: Path, rel_image: PurePath, objects: int, per_object: bool, cutouts: bool
) -> list[Path]:
    """Every file one image's export writes, the union mask last (it marks completion)."""
    paths: list[Path] = []
    if per_object:
        paths += [object_mask_path(out_dir, rel_image, k) for k in range(1, objects + 1)]
    if cutouts:
        paths.append(cutout_path(out_dir, rel_image))
        if per_object:
            paths += [cutout_path(out_dir, rel_image, k) for k in range(1, objects + 1)]
    paths.append(union_mask_path(out_dir, rel_image))
    return paths


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))


class OutputClaims:
    """Which image writes which output file, so no two images share one (docs/adr/0120).

    The batch command and the app's Export all use the same rule: images are taken in
    order, and one whose outputs include a file already claimed by an earlier image is
    refused as a whole — nothing of it is written, nothing of the other is overwritten.
    ``protected`` files (the inputs) can never be claimed: :meth:`input_clash` says so.
    """

    def __init__(self, protected: Iterable[Path] = ()) -> None:
        self._owners: dict[str, str] = {}
        self._protected: dict[str, Path] = {}
        self._protected_ids: dict[tuple[int, int], Path] = {}
        for p in protected:
            self._protected[_key(p)] = p
            try:
                st = os.stat(p)
            except OSError:
                continue
            self._protected_ids[(st.st_dev, st.st_ino)] = p

    def input_clash(self, path: Path) -> Path | None:
        """The protected file ``path`` would overwrite (same path or same file), or None."""
        hit = self._protected.get(_key(path))
        if hit is not None:
            return hit
        try:
            st = os.stat(path)
        except OSError:
            return None
        return self._protected_ids.get((st.st_dev, st.st_ino))

    def claim(self, owner: str, paths: Iterable[Path]) -> str | None:
        """Claim ``paths`` for ``owner``; or, when another owner has one, claim nothing
        and return the one-line reason (naming both owners and the file)."""
        paths = list(paths)
        for p in paths:
            other = self._owners.get(_key(p))
            if other is not None and other != owner:
                return f"output {p} would overwrite {other}'s; rename {owner} or {other}"
        for p in paths:
            self._owners[_key(p)] = owner
        return None
