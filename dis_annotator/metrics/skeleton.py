"""GT skeletons for HCE (Zhang–Suen thinning, the slow part) and their on-disk cache.

The cache is keyed by the binarised GT's pixels (not its path), so renamed or copied GT
files reuse their skeleton and an edited GT never gets a stale one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np

# Bump when the skeleton algorithm changes so old cache entries are not reused.
ALGORITHM_TAG = b"skimage-skeletonize-zhang-v1"


def gt_skeleton(gt: np.ndarray) -> np.ndarray:
    """H×W bool skeleton of the H×W bool mask ``gt`` (skimage ``skeletonize``).

    Thinning only ever looks at a pixel's 3×3 neighbourhood and treats the outside as
    background, so it runs on the object's bounding box (plus a 1-pixel margin) with the
    same result as on the whole image.
    """
    from skimage.morphology import skeletonize

    g = gt.astype(bool, copy=False)
    out = np.zeros(g.shape, dtype=bool)
    rows = np.flatnonzero(g.any(axis=1))
    if rows.size == 0:
        return out
    cols = np.flatnonzero(g.any(axis=0))
    y0, y1 = max(rows[0] - 1, 0), min(rows[-1] + 2, g.shape[0])
    x0, x1 = max(cols[0] - 1, 0), min(cols[-1] + 2, g.shape[1])
    out[y0:y1, x0:x1] = skeletonize(g[y0:y1, x0:x1])
    return out


def skeleton_key(gt: np.ndarray) -> str:
    """Content key of an H×W bool mask."""
    h = hashlib.blake2b(ALGORITHM_TAG, digest_size=16)
    h.update(np.asarray(gt.shape, dtype=np.int64).tobytes())
    h.update(np.packbits(gt.astype(bool, copy=False)).tobytes())
    return h.hexdigest()


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("dis-annotator")) / "skeletons"


class SkeletonCache:
    """Skeleton PNGs under ``root/<key[:2]>/<key>.png``; ``root=None`` keeps nothing."""

    def __init__(self, root: str | Path | None) -> None:
        self.root = Path(root) if root is not None else None
        self.hits = 0
        self.misses = 0

    def get(self, gt: np.ndarray) -> np.ndarray:
        """The skeleton of the H×W bool ``gt``, from disk when cached, else computed and stored."""
        if self.root is None:
            self.misses += 1
            return gt_skeleton(gt)
        key = skeleton_key(gt)
        path = self.root / key[:2] / f"{key}.png"
        if path.is_file():
            cached = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if cached is not None and cached.shape == gt.shape:
                self.hits += 1
                return cached > 0
        self.misses += 1
        ske = gt_skeleton(gt)
        self._store(path, ske)
        return ske

    @staticmethod
    def _store(path: Path, ske: np.ndarray) -> None:
        from dis_annotator.io import atomic_write_bytes, encode_png

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, encode_png(ske.astype(np.uint8) * 255))
