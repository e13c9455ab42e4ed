import os

import numpy as np
import pytest
from PIL import Image

from dis_annotator.io import atomic as atomic_mod
from dis_annotator.io import (
    atomic_open,
    mask_to_rle,
    read_mask_png,
    rle_to_mask,
    write_cutout_png,
    write_mask_png,
)


def test_mask_png_is_single_channel_0_255_full_size(tmp_path):
    m = np.zeros((30, 40), bool)
    m[5:10, 7:20] = True
    write_mask_png(tmp_path / "m.png", m)
    im = Image.open(tmp_path / "m.png")
    assert im.mode == "L" and im.size == (40, 30)
    arr = np.asarray(im)
    assert set(np.unique(arr)) == {0, 255}
    assert np.array_equal(arr == 255, m)
    assert np.array_equal(read_mask_png(tmp_path / "m.png"), m)


def test_cutout_rgba(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 256, (10, 12, 3), dtype=np.uint8)
    m = np.zeros((10, 12), bool)
    m[2:5, 3:9] = True
    write_cutout_png(tmp_path / "c.png", rgb, m)
    arr = np.asarray(Image.open(tmp_path / "c.png"))
    assert arr.shape == (10, 12, 4)
    assert np.array_equal(arr[..., :3], rgb)
    assert np.array_equal(arr[..., 3] == 255, m)
    write_cutout_png(tmp_path / "crop.png", rgb, m, crop=True)
    assert np.asarray(Image.open(tmp_path / "crop.png")).shape == (3, 6, 4)


def test_failure_mid_write_leaves_no_file(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write(b"half")
            raise RuntimeError("crash")
    assert not target.exists()
    assert os.listdir(tmp_path) == []


def test_failure_mid_write_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "m.png"
    old = np.ones((4, 4), bool)
    write_mask_png(target, old)
    before = target.read_bytes()

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(atomic_mod.os, "replace", boom)
    with pytest.raises(OSError):
        write_mask_png(target, np.zeros((4, 4), bool))
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.png"]  # no temp file left behind


def test_rle_round_trip_and_format():
    rng = np.random.default_rng(3)
    for shape in [(1, 1), (7, 5), (64, 48), (3, 200)]:
        for density in (0.0, 0.3, 1.0):
            m = rng.random(shape) < density
            rle = mask_to_rle(m)
            assert rle["size"] == list(shape)
            assert isinstance(rle["counts"], str)
            assert np.array_equal(rle_to_mask(rle), m)


def test_rle_counts_are_column_major_and_start_with_background():
    m = np.array([[0, 1], [0, 1]], bool)  # column-major: 0,0,1,1 → runs [2, 2]
    assert rle_to_mask({"size": [2, 2], "counts": [2, 2]}).tolist() == m.tolist()
    assert rle_to_mask(mask_to_rle(m)).tolist() == m.tolist()
    full = np.ones((2, 2), bool)  # starts with an empty background run
    assert rle_to_mask({"size": [2, 2], "counts": [0, 4]}).all()
    assert mask_to_rle(full) == {"size": [2, 2], "counts": "04"}
    with pytest.raises(ValueError):
        rle_to_mask({"size": [2, 2], "counts": [1, 1]})
