"""The app icon, drawn in code (no image file needed at run time).

A dark rounded tile with a COCO-style skeleton in the app's accent colours.
``packaging/make_icon.py`` renders it to ``assets/icon.png`` and writes the
same drawing as ``assets/icon.svg``.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QLinearGradient, QPainter, QPen, QPixmap

# joints on a 100 x 100 canvas (x, y) and the limbs between them
JOINTS: dict[str, tuple[float, float]] = {
    "head": (50, 22), "neck": (50, 34), "l_sh": (38, 36), "r_sh": (62, 36),
    "l_el": (27, 48), "r_el": (74, 28), "l_wr": (22, 62), "r_wr": (82, 16),
    "l_hip": (42, 60), "r_hip": (58, 60), "l_kn": (37, 75), "r_kn": (66, 74),
    "l_an": (33, 89), "r_an": (73, 87),
}
LIMBS: tuple[tuple[str, str, str], ...] = (
    ("l_sh", "r_sh", "#82dcff"), ("l_sh", "l_el", "#4f8fe6"), ("l_el", "l_wr", "#4f8fe6"),
    ("r_sh", "r_el", "#e8a33d"), ("r_el", "r_wr", "#e8a33d"), ("l_sh", "l_hip", "#82dcff"),
    ("r_sh", "r_hip", "#82dcff"), ("l_hip", "r_hip", "#82dcff"), ("l_hip", "l_kn", "#5fb3b3"),
    ("l_kn", "l_an", "#5fb3b3"), ("r_hip", "r_kn", "#b4e67a"), ("r_kn", "r_an", "#b4e67a"),
    ("neck", "head", "#82dcff"),
)
TILE_TOP, TILE_BOTTOM = "#2a3140", "#12151b"


def draw_icon(size_px: int = 256) -> QImage:
    img = QImage(size_px, size_px, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size_px / 100.0, size_px / 100.0)
    grad = QLinearGradient(0, 0, 0, 100)
    grad.setColorAt(0, QColor(TILE_TOP))
    grad.setColorAt(1, QColor(TILE_BOTTOM))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(grad))
    p.drawRoundedRect(QRectF(4, 4, 92, 92), 20, 20)
    for a, b, color in LIMBS:
        pen = QPen(QColor(color), 6.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.drawLine(QPointF(*JOINTS[a]), QPointF(*JOINTS[b]))
    p.setPen(QPen(QColor("#12151b"), 1.5))
    p.setBrush(QColor("#ffffff"))
    for name, (x, y) in JOINTS.items():
        r = 7.5 if name == "head" else 3.6
        if name != "neck":
            p.drawEllipse(QPointF(x, y), r, r)
    p.end()
    return img


def app_icon() -> QIcon:
    icon = QIcon()
    for s in (16, 32, 48, 64, 128, 256):
        icon.addPixmap(QPixmap.fromImage(draw_icon(s)))
    return icon


def icon_svg() -> str:
    """The same drawing as SVG text."""
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="256" height="256">',
        f'<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="{TILE_TOP}"/>'
        f'<stop offset="1" stop-color="{TILE_BOTTOM}"/></linearGradient></defs>',
        '<rect x="4" y="4" width="92" height="92" rx="20" fill="url(#g)"/>',
        '<g stroke-width="6" stroke-linecap="round">',
    ]
    for a, b, color in LIMBS:
        (x1, y1), (x2, y2) = JOINTS[a], JOINTS[b]
        parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{color}"/>')
    parts.append('</g><g fill="#ffffff" stroke="#12151b" stroke-width="1.5">')
    for name, (x, y) in JOINTS.items():
        if name != "neck":
            parts.append(f'<circle cx="{x}" cy="{y}" r="{7.5 if name == "head" else 3.6}"/>')
    parts.append("</g></svg>")
    return "\n".join(parts) + "\n"


def toolbar_icon(kind: str, size_px: int = 32) -> QIcon:
    """Small drawn icons the platform style lacks: 'record' (red dot), 'compare' (two panes)."""
    img = QImage(size_px, size_px, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size_px / 32.0
    if kind == "record":
        p.setPen(QPen(QColor("#7a1010"), 1.5 * s))
        p.setBrush(QColor("#e53935"))
        p.drawEllipse(QPointF(16 * s, 16 * s), 10 * s, 10 * s)
    else:
        p.setPen(QPen(QColor("#3a4250"), 2 * s))
        for x, color in ((4, "#4f8fe6"), (17, "#e8a33d")):
            p.setBrush(QColor(color))
            p.drawRoundedRect(QRectF(x * s, 7 * s, 11 * s, 18 * s), 2 * s, 2 * s)
    p.end()
    return QIcon(QPixmap.fromImage(img))
