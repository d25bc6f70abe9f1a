"""A video pane: the newest annotated frame, scaled to fit, with a caption band."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

BACKGROUND = QColor(18, 20, 24)


def bgr_to_qimage(bgr: np.ndarray) -> QImage:
    """A QImage that shares ``bgr``'s memory (keep the array alive while it is shown)."""
    h, w = bgr.shape[:2]
    return QImage(bgr.data, w, h, bgr.strides[0], QImage.Format.Format_BGR888)


class VideoView(QWidget):
    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 160)
        self.placeholder = placeholder
        self.caption = ""
        self.badge = ""  # right-aligned figures in the caption band
        self._array: np.ndarray | None = None
        self._image: QImage | None = None

    def set_frame(self, bgr: np.ndarray) -> None:
        self._array = np.ascontiguousarray(bgr)
        self._image = bgr_to_qimage(self._array)
        self.update()

    def clear(self) -> None:
        self._array = self._image = None
        self.update()

    def set_caption(self, caption: str, badge: str = "") -> None:
        if (caption, badge) != (self.caption, self.badge):
            self.caption, self.badge = caption, badge
            self.update()

    @property
    def frame(self) -> np.ndarray | None:
        return self._array

    def image_rect(self) -> QRect:
        """Where the frame is drawn (aspect kept, centred)."""
        if self._image is None:
            return QRect()
        w, h = self._image.width(), self._image.height()
        s = min(self.width() / max(w, 1), self.height() / max(h, 1))
        dw, dh = int(w * s), int(h * s)
        return QRect((self.width() - dw) // 2, (self.height() - dh) // 2, dw, dh)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        if self._image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(QRectF(self.image_rect()), self._image)
        elif self.placeholder:
            p.setPen(QColor(150, 156, 166))
            f = QFont(self.font())
            f.setPointSizeF(f.pointSizeF() * 1.2)
            p.setFont(f)
            p.drawText(self.rect().adjusted(20, 20, -20, -20), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
        if self.caption or self.badge:
            band = QRect(0, 0, self.width(), 26)
            p.fillRect(band, QColor(0, 0, 0, 170))
            p.setPen(QColor(240, 240, 240))
            f = QFont(self.font())
            f.setBold(True)
            p.setFont(f)
            p.drawText(band.adjusted(10, 0, -10, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.caption)
            f.setBold(False)
            p.setFont(f)
            p.setPen(QColor(130, 220, 255))
            p.drawText(band.adjusted(10, 0, -10, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, self.badge)
        p.end()
