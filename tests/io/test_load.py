import io

import numpy as np
import pytest
from PIL import Image

from dis_annotator.io import ImageLoadError, load_image


def _rgb(h=20, w=30):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("fmt,suffix", [("JPEG", ".jpg"), ("PNG", ".png"), ("TIFF", ".tif"),
                                         ("BMP", ".bmp"), ("WEBP", ".webp")])
def test_common_formats_load_as_rgb(tmp_path, fmt, suffix):
    arr = _rgb()
    p = tmp_path / f"a{suffix}"
    Image.fromarray(arr).save(p, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    out = load_image(p)
    assert out.shape == (20, 30, 3) and out.dtype == np.uint8
    if fmt in ("PNG", "TIFF", "BMP", "WEBP"):
        assert np.array_equal(out, arr)


def test_exif_orientation_is_applied(tmp_path):
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :10] = 255  # white band on the left
    img = Image.fromarray(arr)
    exif = img.getexif()
    exif[0x0112] = 6  # viewer rotates 90° clockwise
    p = tmp_path / "rot.jpg"
    img.save(p, exif=exif, quality=100)
    out = load_image(p)
    assert out.shape[:2] == (40, 20)  # as a viewer shows it
    assert out[:10].mean() > 200 and out[-10:].mean() < 50  # left band is now on top


def test_sixteen_bit_gray_scales_to_8bit(tmp_path):
    arr = (np.arange(256 * 4, dtype=np.uint16).reshape(16, 64) * 64).astype(np.uint16)
    p = tmp_path / "g16.png"
    Image.fromarray(arr).save(p)
    out = load_image(p)
    assert out.shape == (16, 64, 3)
    assert np.array_equal(out[..., 0], out[..., 2])
    expected = np.clip(np.rint(arr / 257.0), 0, 255).astype(np.uint8)
    assert np.abs(out[..., 0].astype(int) - expected).max() <= 1


def test_gray_palette_rgba_cmyk(tmp_path):
    arr = _rgb()
    Image.fromarray(arr[..., 0]).save(tmp_path / "g.png")
    assert np.array_equal(load_image(tmp_path / "g.png")[..., 1], arr[..., 0])

    Image.fromarray(arr).convert("P").save(tmp_path / "p.png")
    assert load_image(tmp_path / "p.png").shape == (20, 30, 3)

    rgba = np.dstack([arr, np.full((20, 30), 7, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    assert np.array_equal(load_image(tmp_path / "a.png"), arr)  # alpha dropped, colour kept

    Image.fromarray(arr).convert("CMYK").save(tmp_path / "c.jpg", quality=100)
    out = load_image(tmp_path / "c.jpg")
    assert out.shape == (20, 30, 3)
    assert np.abs(out.astype(int) - arr.astype(int)).mean() < 12


def test_missing_not_image_empty_truncated(tmp_path):
    with pytest.raises(ImageLoadError, match="not found"):
        load_image(tmp_path / "nope.jpg")
    (tmp_path / "t.jpg").write_text("hello, not an image")
    with pytest.raises(ImageLoadError, match="not an image"):
        load_image(tmp_path / "t.jpg")
    (tmp_path / "e.png").write_bytes(b"")
    with pytest.raises(ImageLoadError, match="empty"):
        load_image(tmp_path / "e.png")
    buf = io.BytesIO()
    Image.fromarray(_rgb(200, 200)).save(buf, format="PNG")
    (tmp_path / "cut.png").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ImageLoadError) as exc:
        load_image(tmp_path / "cut.png")
    assert "\n" not in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_pixel_limit_refuses_bomb_before_decoding(tmp_path):
    # 20000×20000 1-bit PNG: a few KB on disk, 400 MP (1.2 GB as RGB) when decoded.
    p = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(p)
    assert p.stat().st_size < 200_000
    with pytest.raises(ImageLoadError, match="MP limit"):
        load_image(p)
    with pytest.raises(ImageLoadError, match="MP limit"):
        load_image(tmp_path / "bomb.png", max_pixels=1000)
