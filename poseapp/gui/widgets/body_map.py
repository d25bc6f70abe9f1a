"""A front-view body diagram whose 17 COCO joints are coloured by how well the
two compared models agree on each (green >= 0.75, orange >= 0.5, red below,
grey never seen). Hovering a joint shows its name and value."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ...skeleton import COCO_KEYPOINTS, COCO_SKELETON
from .bars import agreement_color

# joint positions on a 100 x 120 canvas, the person facing the viewer (their left on our right)
POSITIONS: tuple[tuple[float, float], ...] = (
    (50, 12),  # nose
    (54, 9), (46, 9), (59, 12), (41, 12),  # eyes, ears
    (66, 30), (34, 30), (72, 50), (28, 50), (76, 68), (24, 68),  # shoulders, elbows, wrists
    (60, 66), (40, 66), (62, 89), (38, 89), (63, 112), (37, 112),  # hips, knees, ankles
)


class BodyMap(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values = np.full(17, np.nan)
        self.setMinimumSize(110, 130)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)

    def set_values(self, values: np.ndarray | None) -> None:
        self.values = np.full(17, np.nan) if values is None else np.asarray(values, np.float64)
        self.update()

    def _transform(self) -> tuple[float, float, float]:
        s = min(self.width() / 100.0, self.height() / 120.0)
        return s, (self.width() - 100 * s) / 2, (self.height() - 120 * s) / 2

    def _point(self, j: int) -> QPointF:
        s, ox, oy = self._transform()
        x, y = POSITIONS[j]
        return QPointF(ox + x * s, oy + y * s)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(24, 26, 31))
        s, _, _ = self._transform()
        p.setPen(QPen(QColor(90, 96, 106), max(1.5, 2.2 * s), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        for a, b in COCO_SKELETON:
            p.drawLine(self._point(a), self._point(b))
        for j in range(len(POSITIONS)):
            v = float(self.values[j]) if j < len(self.values) else float("nan")
            r = (3.0 if j <= 4 else 4.5) * s
            p.setPen(QPen(QColor(18, 20, 24), 1))
            p.setBrush(agreement_color(v))
            p.drawEllipse(self._point(j), r, r)
        p.end()

    def joint_at(self, pos: QPointF) -> int | None:
        s, _, _ = self._transform()
        best, best_d = None, 8.0 * s
        for j in range(len(POSITIONS)):
            q = self._point(j)
            d = math.hypot(q.x() - pos.x(), q.y() - pos.y())
            if d < best_d:
                best, best_d = j, d
        return best

    def mouseMoveEvent(self, event) -> None:
        j = self.joint_at(event.position())
        if j is None:
            QToolTip.hideText()
            return
        v = float(self.values[j]) if j < len(self.values) else float("nan")
        text = f"{COCO_KEYPOINTS[j]}: " + (f"similarity {v:.2f}" if math.isfinite(v) else "not compared yet")
        QToolTip.showText(event.globalPosition().toPoint(), text, self, QRectF(self._point(j).x() - 6, self._point(j).y() - 6, 12, 12).toRect())
