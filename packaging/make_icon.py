"""Render the app icon (drawn in poseapp/gui/icon.py) to assets/icon.png and assets/icon.svg.

    QT_QPA_PLATFORM=offscreen python packaging/make_icon.py
"""
from __future__ import annotations

from pathlib import Path

from poseapp.gui.icon import draw_icon, icon_svg
from poseapp.gui.qtenv import make_app

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def main() -> None:
    make_app()
    ASSETS.mkdir(exist_ok=True)
    if not draw_icon(256).save(str(ASSETS / "icon.png")):
        raise SystemExit(f"cannot write {ASSETS / 'icon.png'}")
    (ASSETS / "icon.svg").write_text(icon_svg(), encoding="utf-8")
    print(f"wrote {ASSETS / 'icon.png'} and {ASSETS / 'icon.svg'}")


if __name__ == "__main__":
    main()
