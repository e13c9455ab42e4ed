"""The images being annotated: the list, which one is open, and their documents.

Documents stay in memory while they have unsaved edits or pending inference; others
are dropped and re-read from their sidecar when revisited. Loading never raises into
the UI: an unreadable image yields an error message instead.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dis_annotator.annotation.document import Document
from dis_annotator.annotation.image_list import ImageList
from dis_annotator.annotation.sidecar import SidecarMismatch, read_sidecar
from dis_annotator.io import ImageLoadError, load_image


def load_document(image: Path, width: int, height: int) -> tuple[Document, str | None, bool]:
    """The saved annotation of ``image`` (its intact objects) or a new empty one; then a
    warning (None when all is well) and whether the saved annotation is damaged.

    Never raises: a damaged sidecar must not block the image (docs/adr/0123). Its
    original JSON is backed up by the first save, so "starting fresh" loses nothing.
    """
    try:
        load = read_sidecar(image, size=(width, height))
    except SidecarMismatch as exc:
        return Document(image, width, height), f"{exc}; starting fresh (it is kept aside at the next save)", False
    except Exception as exc:  # noqa: BLE001 - a broken sidecar must not block the image
        message = f"could not read the saved annotation of {image.name} ({type(exc).__name__}: {exc})"
        return Document(image, width, height), f"{message[:300]}; starting fresh", True
    if load is None:
        return Document(image, width, height), None, False
    if load.problems:
        return load.doc, load.summary(), True
    return load.doc, None, False


@dataclass
class Opened:
    index: int
    path: Path
    rgb: np.ndarray
    doc: Document
    warning: str | None = None
    levels: list[np.ndarray] | None = None  # display pyramid, when decoded ahead
    damaged: bool = False  # the saved annotation was damaged (warning says what)


@dataclass
class Pixels:
    rgb: np.ndarray
    levels: list[np.ndarray] | None


def _decode(path: Path) -> Pixels:
    """Background decode: the pixels and their display pyramid (both Qt-free)."""
    from dis_annotator.ui.canvas.view import pyramid_levels

    rgb = load_image(path)
    return Pixels(rgb, pyramid_levels(rgb))


class Session:
    def __init__(self) -> None:
        self.list = ImageList([])
        self.index = -1
        self.docs: dict[Path, Document] = {}
        self.root: Path | None = None
        # Decoding an 8K JPEG takes a few hundred ms: the next image is decoded in the
        # background, and the current and previous ones stay decoded (D/A flips back).
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="preload")
        self._preload: tuple[Path, Future] | None = None
        self._pixels: dict[Path, Pixels] = {}

    def preload(self, path: Path | None) -> None:
        """Start decoding ``path`` in the background (None: nothing)."""
        if path is None or path in self._pixels or (self._preload and self._preload[0] == path):
            return
        self._preload = (path, self._pool.submit(_decode, path))

    def _pixels_of(self, path: Path) -> Pixels:
        if path in self._pixels:
            return self._pixels[path]
        if self._preload is not None and self._preload[0] == path:
            future, self._preload = self._preload[1], None
            return future.result()  # raises ImageLoadError like load_image
        return _decode(path)

    @property
    def images(self) -> list[Path]:
        return self.list.paths

    def open_path(self, path: Path) -> int:
        """Use the folder of ``path`` (or the folder itself); returns the index to show first."""
        path = Path(path)
        self.list = ImageList.open(path)
        self.root = path if path.is_dir() else path.parent
        self.index = -1
        self.docs.clear()
        self._pixels.clear()
        self._preload = None
        return self.list.current_index

    def next_path(self, index: int) -> Path | None:
        return self.images[index + 1] if 0 <= index < len(self.images) - 1 else None

    @property
    def current_path(self) -> Path | None:
        return self.images[self.index] if 0 <= self.index < len(self.images) else None

    def open(self, index: int) -> Opened:
        """Load image ``index`` and its document; raises :class:`ImageLoadError`."""
        path = self.images[index]
        pixels = self._pixels_of(path)
        current = self.current_path
        self._pixels = {p: a for p, a in self._pixels.items() if p == current}
        self._pixels[path] = pixels
        rgb = pixels.rgb
        h, w = rgb.shape[:2]
        doc = self.docs.get(path)
        warning, damaged = None, False
        if doc is None or doc.shape != (h, w):
            doc, warning, damaged = load_document(path, w, h)
            self.docs[path] = doc
        self.index = index
        self.list.set_current(index)
        return Opened(index, path, rgb, doc, warning, pixels.levels, damaged)

    def release(self, keep: set[Path]) -> list[Document]:
        """Forget saved documents not in ``keep``; returns the dropped ones."""
        dropped = []
        for path, doc in list(self.docs.items()):
            if path not in keep and not doc.dirty:
                dropped.append(self.docs.pop(path))
        return dropped

    def annotated(self) -> list[bool]:
        out = []
        for i, p in enumerate(self.images):
            doc = self.docs.get(p)
            out.append(doc.has_masks() if doc is not None else self.list.has_annotation(i))
        return out

    def relative(self, path: Path) -> Path:
        root = self.root or path.parent
        try:
            return path.relative_to(root)
        except ValueError:
            return Path(path.name)


__all__ = ["ImageLoadError", "Opened", "Session", "load_document"]
