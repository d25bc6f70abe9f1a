"""Holds the video panes: one, or two side by side or stacked, whichever shows
the frames larger for the current window and frame shape."""
from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QWidget

from .video_view import VideoView


def best_direction(area_wh: tuple[int, int], frame_wh: tuple[int, int]) -> QBoxLayout.Direction:
    """Left-to-right when two frames side by side come out larger than stacked."""
    (aw, ah), (fw, fh) = area_wh, frame_wh
    if fw <= 0 or fh <= 0:
        return QBoxLayout.Direction.LeftToRight
    side = min(aw / 2 / fw, ah / fh)
    stacked = min(aw / fw, ah / 2 / fh)
    return QBoxLayout.Direction.LeftToRight if side >= stacked else QBoxLayout.Direction.TopToBottom


class PaneArea(QWidget):
    def __init__(self, view_a: VideoView, view_b: VideoView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view_a, self.view_b = view_a, view_b
        self.box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSpacing(4)
        self.box.addWidget(view_a)
        self.box.addWidget(view_b)
        self._frame_wh = (16, 9)

    def set_frame_size(self, frame_wh: tuple[int, int]) -> None:
        if frame_wh != self._frame_wh:
            self._frame_wh = frame_wh
            self._arrange()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._arrange()

    def _arrange(self) -> None:
        d = best_direction((self.width(), self.height()), self._frame_wh)
        if self.box.direction() != d:
            self.box.setDirection(d)
