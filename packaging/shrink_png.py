"""Shrink a screenshot PNG for the README: a 256-colour palette that keeps the
app's own UI colours exact (legend swatches, accents) and fits the rest.

    python packaging/shrink_png.py IN.png OUT.png
"""
from __future__ import annotations

import sys

from PIL import Image

from poseapp.gui.widgets.bars import STAGE_COLORS

UI_COLORS = list(STAGE_COLORS.values()) + [
    "#82dcff", "#4f8fe6", "#e8a33d", "#b4e67a", "#d97a9a", "#7ccf5a", "#ff6b6b", "#ff5050",
    "#12141a", "#181a1f", "#000000", "#ffffff",
]


def shrink(src: str, dst: str) -> None:
    im = Image.open(src).convert("RGB")
    fixed = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in dict.fromkeys(UI_COLORS)]
    fitted = im.quantize(colors=256 - len(fixed), method=Image.Quantize.MEDIANCUT, kmeans=2).getpalette()[: 3 * (256 - len(fixed))]
    palette = fitted + [v for rgb in fixed for v in rgb]
    pal_img = Image.new("P", (1, 1))
    pal_img.putpalette(palette)
    im.quantize(palette=pal_img, dither=Image.Dither.NONE).save(dst, optimize=True)


if __name__ == "__main__":
    shrink(sys.argv[1], sys.argv[2])
