"""The images being annotated: the list, which one is open, and their documents.

Documents stay in memory while they have unsaved edits or pending inference; others
are dropped and re-read from their sidecar when revisited. Loading never raises into
the UI: an unreadable image yields an error message instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dis_annotator.annotation.document import Document
from dis_annotator.io import IMAGE_SUFFIXES, ImageLoadError, load_image


def list_images(path: Path) -> tuple[list[Path], int]:
    """Images of a folder (sorted, natural order by name) and the index to open first."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    images = sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
        key=lambda p: p.name.lower(),
    )
    start = images.index(path) if path.is_file() and path in images else 0
    if path.is_file() and path not in images:
        images.insert(0, path)
    return images, start


def sidecar_exists(image: Path) -> bool:
    return (image.parent / ".dis-annotator" / f"{image.stem}.json").is_file()


def load_document(image: Path, width: int, height: int) -> tuple[Document, str | None]:
    """The saved annotation of ``image`` or a new empty one; second item: a warning."""
    from dis_annotator.annotation.sidecar import load_sidecar

    try:
        doc = load_sidecar(image)
    except Exception as exc:  # noqa: BLE001 - a broken sidecar must not block the image
        return Document(image, width, height), f"could not read the saved annotation ({exc}); starting fresh"
    if doc is None:
        return Document(image, width, height), None
    if (doc.width, doc.height) != (width, height):
        return Document(image, width, height), (
            f"saved annotation is {doc.width}x{doc.height} but the image is {width}x{height}; ignored"
        )
    doc.mark_saved()
    return doc, None


@dataclass
class Opened:
    index: int
    path: Path
    rgb: np.ndarray
    doc: Document
    warning: str | None = None


class Session:
    def __init__(self) -> None:
        self.images: list[Path] = []
        self.index = -1
        self.docs: dict[Path, Document] = {}
        self.root: Path | None = None

    def set_images(self, images: list[Path], root: Path) -> None:
        self.images = list(images)
        self.root = root
        self.index = -1

    @property
    def current_path(self) -> Path | None:
        return self.images[self.index] if 0 <= self.index < len(self.images) else None

    def open(self, index: int) -> Opened:
        """Load image ``index`` and its document; raises :class:`ImageLoadError`."""
        path = self.images[index]
        rgb = load_image(path)
        h, w = rgb.shape[:2]
        doc = self.docs.get(path)
        warning = None
        if doc is None or doc.shape != (h, w):
            doc, warning = load_document(path, w, h)
            self.docs[path] = doc
        self.index = index
        return Opened(index, path, rgb, doc, warning)

    def release(self, keep: set[Path]) -> list[Document]:
        """Forget saved documents not in ``keep``; returns the dropped ones."""
        dropped = []
        for path, doc in list(self.docs.items()):
            if path not in keep and not doc.dirty:
                dropped.append(self.docs.pop(path))
        return dropped

    def annotated(self) -> list[bool]:
        out = []
        for p in self.images:
            doc = self.docs.get(p)
            out.append(doc.has_masks() if doc is not None else sidecar_exists(p))
        return out

    def relative(self, path: Path) -> Path:
        root = self.root or path.parent
        try:
            return path.relative_to(root)
        except ValueError:
            return Path(path.name)


__all__ = ["ImageLoadError", "Opened", "Session", "list_images", "load_document"]
