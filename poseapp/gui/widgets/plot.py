"""Rolling line plot of the last N seconds, drawn with QPainter (no plotting library).

Series sit on a left or a right axis, each auto-scaled to a round maximum, or on
a fixed range (e.g. OKS 0-1).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..figures import History


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str  # "#rrggbb"
    axis: str = "left"  # or "right"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is >= value (1 for value <= 0)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        if m * exp >= value * 0.999:
            return m * exp
    return 10 * exp


class RollingPlot(QWidget):
    def __init__(self, history: History, series: list[Series], left_title: str = "", right_title: str = "",
                 fixed_left: tuple[float, float] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.series = series
        self.left_title = left_title
        self.right_title = right_title
        self.fixed_left = fixed_left
        self.clock = time.monotonic
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def _range(self, axis: str) -> tuple[float, float]:
        if axis == "left" and self.fixed_left is not None:
            return self.fixed_left
        top = max((v for s in self.series if s.axis == axis for _, v in self.history.series(s.key)), default=0.0)
        return 0.0, nice_ceiling(top)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(24, 26, 31))
        fm = p.fontMetrics()
        has_right = any(s.axis == "right" for s in self.series)
        left_w = fm.horizontalAdvance("0000") + 8
        right_w = fm.horizontalAdvance("0000") + 8 if has_right else 8
        # legend, wrapped over as many lines as it needs
        shown = [s for s in self.series if self.history.series(s.key)] or self.series[:1]
        lines, x, y = 1, float(left_w), 3.0
        spots = []
        for s in shown:
            w = 24 + fm.horizontalAdvance(s.label)
            if x + w > self.width() - 4 and x > left_w:
                lines, x, y = lines + 1, float(left_w), y + fm.height() + 2
            spots.append((s, x, y))
            x += w + 10
        for s, lx, ly in spots:
            p.setPen(QPen(QColor(s.color), 2))
            p.drawLine(QPointF(lx, ly + fm.height() / 2 + 1), QPointF(lx + 14, ly + fm.height() / 2 + 1))
            p.setPen(QColor(210, 214, 220))
            p.drawText(QPointF(lx + 18, ly + fm.ascent()), s.label)
        top = lines * (fm.height() + 2) + 6
        area = QRectF(left_w, top, self.width() - left_w - right_w, self.height() - top - fm.height() - 8)
        if area.width() < 20 or area.height() < 20:
            p.end()
            return
        # grid and axes
        lo_l, hi_l = self._range("left")
        lo_r, hi_r = self._range("right")
        grid = QPen(QColor(60, 64, 72), 1, Qt.PenStyle.DotLine)
        for i in range(5):
            y = area.bottom() - i * area.height() / 4
            p.setPen(grid)
            p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            p.setPen(QColor(150, 156, 166))
            p.drawText(QRectF(0, y - fm.height() / 2, left_w - 4, fm.height()), Qt.AlignmentFlag.AlignRight,
                       _fmt(lo_l + i * (hi_l - lo_l) / 4))
            if has_right:
                p.drawText(QRectF(area.right() + 4, y - fm.height() / 2, right_w - 4, fm.height()), Qt.AlignmentFlag.AlignLeft,
                           _fmt(lo_r + i * (hi_r - lo_r) / 4))
        p.setPen(QColor(150, 156, 166))
        span = self.history.span_s
        for frac, text in ((0.0, f"-{span:.0f} s"), (0.5, f"-{span / 2:.0f} s"), (1.0, "now")):
            tx = area.left() + frac * area.width()
            w = fm.horizontalAdvance(text)
            p.drawText(QPointF(min(max(tx - w / 2, area.left()), area.right() - w), area.bottom() + fm.ascent() + 4), text)
        p.setPen(QPen(QColor(90, 96, 106), 1))
        p.drawRect(area)
        p.setPen(QColor(120, 126, 136))
        if self.left_title:
            p.drawText(QPointF(area.left() + 4, area.top() + fm.ascent() + 2), self.left_title)
        if self.right_title and has_right:
            p.drawText(QPointF(area.right() - 4 - fm.horizontalAdvance(self.right_title), area.top() + fm.ascent() + 2), self.right_title)
        # lines
        now = self.clock()
        for s in self.series:
            pts = self.history.series(s.key)
            lo, hi = (lo_l, hi_l) if s.axis == "left" else (lo_r, hi_r)
            path = QPainterPath()
            for k, (t, v) in enumerate(pts):
                px = area.right() - (now - t) / span * area.width()
                py = area.bottom() - (min(max(v, lo), hi) - lo) / (hi - lo) * area.height()
                pt = QPointF(max(px, area.left()), py)
                path.moveTo(pt) if k == 0 else path.lineTo(pt)
            p.setPen(QPen(QColor(s.color), 2))
            p.drawPath(path)
            if len(pts) == 1:
                p.drawEllipse(path.currentPosition(), 2, 2)
        p.end()


def _fmt(v: float) -> str:
    if v >= 100 or v == int(v):
        return f"{v:.0f}"
    return f"{v:.1f}" if v >= 10 else f"{v:.2f}".rstrip("0").rstrip(".")
