"""Render the launcher icon to the sizes desktops and installers expect.

    python packaging/make_icons.py

icons/dis-annotator.svg → icons/hicolor/<N>x<N>/apps/dis-annotator.png (freedesktop
icon theme layout, N = 16…512), icons/dis-annotator.ico (Windows, 16…256) and
icons/dis-annotator.icns (macOS). The outputs are committed; rerun after editing the SVG.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(svg: Path, size: int) -> bytes:
    """PNG bytes of ``svg`` at ``size``×``size`` (Qt's SVG renderer, transparent)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    return bytes(data)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    svg = HERE / "dis-annotator.svg"
    images = {}
    for size in SIZES:
        png = render(svg, size)
        out = HERE / "hicolor" / f"{size}x{size}" / "apps" / "dis-annotator.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(png)
        images[size] = Image.open(io.BytesIO(png)).convert("RGBA")
    images[256].save(HERE / "dis-annotator.ico", sizes=[(s, s) for s in SIZES if s <= 256])
    images[512].save(HERE / "dis-annotator.icns")
    print(f"wrote {len(SIZES)} PNGs, .ico and .icns under {HERE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
