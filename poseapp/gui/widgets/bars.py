"""The per-stage milliseconds bar and the agreement colour scale."""
from __future__ import annotations

import math

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

STAGE_COLORS = {
    "detect": "#e8a33d", "track": "#9a7fd1", "crop": "#5fb3b3", "pose": "#4f8fe6",
    "decode": "#8cc265", "smooth": "#d9d26a", "draw": "#d97a9a",
}


def agreement_color(v: float) -> QColor:
    if not math.isfinite(v):
        return QColor(80, 84, 92)
    if v >= 0.75:
        return QColor(90, 190, 110)
    if v >= 0.5:
        return QColor(230, 160, 60)
    return QColor(225, 80, 70)


class StageBar(QWidget):
    """One stacked horizontal bar: how a frame's milliseconds split over the stages."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage_ms: dict[str, float] = {}
        self.setFixedHeight(10)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_stage_ms(self, stage_ms: dict[str, float]) -> None:
        self.stage_ms = dict(stage_ms)
        self.update()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(40, 43, 50))
        total = sum(self.stage_ms.values())
        x = 0.0
        if total > 0:
            for stage, ms in self.stage_ms.items():
                w = ms / total * self.width()
                p.fillRect(QRectF(x, 0, w, self.height()), QColor(STAGE_COLORS.get(stage, "#888888")))
                x += w
        p.end()
