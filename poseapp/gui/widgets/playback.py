"""Play/pause, single step, seek slider and position, loop and real-time toggles."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QStyle, QToolButton, QWidget


def _fmt_time(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    return f"{int(m):02d}:{s:04.1f}"


class PlaybackBar(QWidget):
    play_toggled = Signal()
    step_clicked = Signal()
    seek_requested = Signal(int)  # frame index
    loop_toggled = Signal(bool)
    real_time_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        st = self.style()
        self.start = QToolButton()
        self.start.setIcon(st.standardIcon(QStyle.StandardPixmap.SP_MediaSkipBackward))
        self.start.setToolTip("back to the first frame (Home)")
        self.play = QToolButton()
        self.play.setToolTip("play / pause (Space)")
        self.step = QToolButton()
        self.step.setIcon(st.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward))
        self.step.setToolTip("one frame forward (. or Right)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setToolTip("seek (files only)")
        self.position = QLabel("no source")
        self.position.setMinimumWidth(190)
        self.loop = QCheckBox("Loop")
        self.loop.setToolTip("start a video again at its end (L)")
        self.real_time = QCheckBox("Real-time")
        self.real_time.setToolTip("play files at their own speed, skipping frames when the pipeline is slower;\n"
                                  "off: every frame is processed and shown")
        for w in (self.start, self.play, self.step):
            lay.addWidget(w)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.position)
        lay.addWidget(self.loop)
        lay.addWidget(self.real_time)
        self.start.clicked.connect(lambda: self.seek_requested.emit(0))
        self.play.clicked.connect(self.play_toggled)
        self.step.clicked.connect(self.step_clicked)
        self.slider.sliderReleased.connect(lambda: self.seek_requested.emit(self.slider.value()))
        self.slider.actionTriggered.connect(self._slider_action)
        self.loop.toggled.connect(self.loop_toggled)
        self.real_time.toggled.connect(self.real_time_toggled)
        self._fps = 30.0
        self.set_playing(False)
        self.set_source(None, False, 30.0)

    def _slider_action(self, action: int) -> None:
        if action in (QSlider.SliderAction.SliderPageStepAdd, QSlider.SliderAction.SliderPageStepSub,
                      QSlider.SliderAction.SliderSingleStepAdd, QSlider.SliderAction.SliderSingleStepSub):
            self.seek_requested.emit(self.slider.sliderPosition())

    def set_playing(self, playing: bool) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play.setIcon(self.style().standardIcon(icon))

    def set_source(self, frame_count: int | None, live: bool, fps: float) -> None:
        seekable = bool(frame_count) and not live
        self._fps = fps or 30.0
        self._count = frame_count
        self.slider.setEnabled(seekable)
        self.start.setEnabled(seekable)
        self.slider.setRange(0, max(0, (frame_count or 1) - 1))
        self.slider.setPageStep(max(1, int(self._fps * 5)))
        self.loop.setEnabled(not live)
        self.real_time.setEnabled(not live)

    def set_position(self, index: int, time_s: float, live: bool, dropped: int = 0) -> None:
        if not self.slider.isSliderDown():
            self.slider.blockSignals(True)
            self.slider.setValue(index)
            self.slider.blockSignals(False)
        if live:
            self.position.setText(f"live · {_fmt_time(time_s)} · dropped {dropped}")
        else:
            total = f"/{self._count}" if self._count else ""
            self.position.setText(f"frame {index + 1}{total} · {_fmt_time(time_s)}")

    def set_text(self, text: str) -> None:
        self.position.setText(text)
