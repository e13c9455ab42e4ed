"""``ImageList``: the images of a folder (or given files) in natural order, a current
position, and which images have annotations — Qt-free (the file panel shows it)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from dis_annotator.annotation.sidecar import sidecar_status
from dis_annotator.io import IMAGE_SUFFIXES

PathLike = str | os.PathLike[str]


def natural_key(path: Path) -> tuple:
    """``img2`` before ``img10``; case-insensitive; ties broken by the exact name."""
    parts = re.split(r"(\d+)", path.name.lower())
    return (tuple(int(p) if p.isdigit() else p for p in parts), path.name)


def list_images(folder: PathLike) -> list[Path]:
    """Image files (``IMAGE_SUFFIXES``, any case) directly in ``folder``, naturally sorted;
    hidden files are skipped."""
    d = Path(folder)
    files = [
        p for p in d.iterdir()
        if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()
    ]
    return sorted(files, key=natural_key)


class ImageList:
    """A folder's images (or the given files, in the given order) with a current position.

    ``ImageList(folder)``, ``ImageList([file, ...])``, or ``ImageList.open(path)`` (a
    file opens its folder with that file current). Annotation status per image is read
    from the sidecar JSON and cached; call :meth:`refresh` after saving.
    """

    def __init__(self, source: PathLike | Sequence[PathLike]) -> None:
        if isinstance(source, (str, os.PathLike)):
            p = Path(source)
            if not p.is_dir():
                raise ValueError(f"{p}: not a folder")
            self.paths = list_images(p)
        else:
            self.paths = [Path(s) for s in source]
        self.current_index = 0 if self.paths else -1
        self._status: dict[Path, str] = {}

    @classmethod
    def open(cls, path: PathLike) -> ImageList:
        p = Path(path)
        if p.is_dir():
            return cls(p)
        images = cls(p.parent)
        if p not in images.paths:
            images.paths.append(p)
            images.paths.sort(key=natural_key)
        images.set_current(p)
        return images

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> Path:
        return self.paths[index]

    def __iter__(self) -> Iterator[Path]:
        return iter(self.paths)

    def index_of(self, path: PathLike) -> int:
        p = Path(path)
        for i, q in enumerate(self.paths):
            if q == p or (q.exists() and p.exists() and os.path.samefile(q, p)):
                return i
        raise ValueError(f"{p} is not in the list")

    @property
    def current(self) -> Path | None:
        return self.paths[self.current_index] if self.current_index >= 0 else None

    def set_current(self, where: int | PathLike) -> Path:
        i = where if isinstance(where, int) else self.index_of(where)
        if not 0 <= i < len(self.paths):
            raise IndexError(f"image index {i} out of range (0..{len(self.paths) - 1})")
        self.current_index = i
        return self.paths[i]

    def has_next(self) -> bool:
        return 0 <= self.current_index < len(self.paths) - 1

    def has_previous(self) -> bool:
        return self.current_index > 0

    def next(self) -> Path | None:
        """Move to the next image and return it; None (and no move) at the end."""
        if not self.has_next():
            return None
        self.current_index += 1
        return self.paths[self.current_index]

    def previous(self) -> Path | None:
        if not self.has_previous():
            return None
        self.current_index -= 1
        return self.paths[self.current_index]

    def peek_next(self) -> Path | None:
        """The image after the current one (to pre-encode), without moving."""
        return self.paths[self.current_index + 1] if self.has_next() else None

    def status(self, where: int | PathLike) -> str:
        """``"none"``, ``"empty"``, ``"masks"`` or ``"error"`` (see ``sidecar_status``)."""
        p = self.paths[where] if isinstance(where, int) else Path(where)
        if p not in self._status:
            self._status[p] = sidecar_status(p)
        return self._status[p]

    def has_annotation(self, where: int | PathLike) -> bool:
        """True when the image's sidecar holds at least one non-empty mask."""
        return self.status(where) == "masks"

    def annotated(self) -> list[bool]:
        return [self.has_annotation(i) for i in range(len(self.paths))]

    def refresh(self, path: PathLike | None = None) -> None:
        """Forget cached statuses (of one image, or all) so they are re-read."""
        if path is None:
            self._status.clear()
        else:
            self._status.pop(Path(path), None)
