"""Rasterise the SVG icon master into the PNG sizes, .ico and .icns that are committed.

Run after editing ``resources/icon/io.github.swarmview.SwarmView.svg``:
``QT_QPA_PLATFORM=offscreen python packaging/make_icons.py`` (needs PySide6 and Pillow).
Qt renders the SVG (the same renderer the app uses); Pillow writes the multi-size .ico/.icns.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from pathlib import Path

APP_ID = "io.github.swarmview.SwarmView"
REPO = Path(__file__).resolve().parent.parent
MASTER = REPO / "resources" / "icon" / f"{APP_ID}.svg"
PACKAGE_ICONS = REPO / "swarmview" / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render_png(size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(MASTER))
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    shutil.copyfile(MASTER, PACKAGE_ICONS / f"{APP_ID}.svg")
    images: dict[int, Image.Image] = {}
    for size in PNG_SIZES:
        png = render_png(size)
        target = PACKAGE_ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(png)
        images[size] = Image.open(io.BytesIO(png)).convert("RGBA")
    big = Image.open(io.BytesIO(render_png(1024))).convert("RGBA")
    images[256].save(REPO / "packaging" / "windows" / "swarmview.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    big.save(REPO / "packaging" / "macos" / "swarmview.icns")
    del app
    print(f"wrote {len(PNG_SIZES)} PNG sizes, swarmview.ico and swarmview.icns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
