from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dis_annotator.annotation import Document


def blob(shape: tuple[int, int], cx: float, cy: float, r: float) -> np.ndarray:
    """A filled disc: a stand-in for a model result."""
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r


@pytest.fixture
def rgb() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)


@pytest.fixture
def image_file(tmp_path: Path, rgb: np.ndarray) -> Path:
    p = tmp_path / "photo.png"
    Image.fromarray(rgb).save(p)
    return p


@pytest.fixture
def doc(image_file: Path) -> Document:
    return Document(image_file, 64, 48, image_key="k0")
