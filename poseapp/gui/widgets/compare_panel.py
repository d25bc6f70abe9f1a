"""Compare mode: the controls for pane B (with the settings) and the agreement
figures (with the live figures): OKS now and on average, persons matched, a
body map of per-joint agreement and a rolling OKS plot."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGridLayout, QLabel, QVBoxLayout, QWidget

from ..figures import History
from .body_map import BodyMap
from .plot import RollingPlot, Series
from .settings_panel import compact_combo


class CompareControls(QWidget):
    changed = Signal()  # on/off, model or backend of pane B changed by the user

    def __init__(self, models: list[tuple[str, str]], backends: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 4)
        self.enabled = QCheckBox("side by side (C)")
        self.enabled.setToolTip("run a second model or backend on the same frames, with the same person boxes")
        self.model = compact_combo()
        for name, text in models:
            self.model.addItem(text, name)
        self.model.setToolTip("model of pane B (the same model with the other backend checks ONNX parity)")
        self.backend = compact_combo()
        for key, text in backends:
            self.backend.addItem(text, key)
        form.addRow("Compare", self.enabled)
        form.addRow("Model B", self.model)
        form.addRow("Backend B", self.backend)
        self.enabled.toggled.connect(self._user_changed)
        self.model.activated.connect(self._user_changed)
        self.backend.activated.connect(self._user_changed)

    def _user_changed(self, *_args) -> None:
        self.changed.emit()

    def selection(self) -> tuple[str, str] | None:
        if not self.enabled.isChecked():
            return None
        return self.model.currentData(), self.backend.currentData()

    def select(self, model: str, backend: str) -> None:
        for combo, value in ((self.model, model), (self.backend, backend)):
            i = combo.findData(value)
            if i >= 0:
                combo.setCurrentIndex(i)

    def set_checked(self, on: bool) -> None:
        self.enabled.blockSignals(True)
        self.enabled.setChecked(on)
        self.enabled.blockSignals(False)


class AgreementPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        grid = QGridLayout()
        self.oks = QLabel("-")
        self.oks.setObjectName("oks")
        self.oks.setStyleSheet("font-size: 18pt; font-weight: 600; color: #7ccf5a;")
        self.oks.setToolTip("mean OKS between A's and B's poses of the same persons in this frame (1 = identical)")
        self.running = QLabel("-")
        self.running.setToolTip("mean OKS over every compared frame since compare mode (re)started")
        self.running.setWordWrap(True)
        self.matched = QLabel("-")
        self.matched.setToolTip("persons matched by box overlap (IoU >= 0.5) of those found by A and by B")
        self.matched.setWordWrap(True)
        grid.addWidget(QLabel("OKS A vs B"), 0, 0)
        grid.addWidget(self.oks, 1, 0)
        grid.addWidget(QLabel("mean since start"), 2, 0)
        grid.addWidget(self.running, 3, 0)
        grid.addWidget(QLabel("persons matched"), 4, 0)
        grid.addWidget(self.matched, 5, 0)
        grid.setRowStretch(6, 1)
        self.body = BodyMap()
        self.body.setToolTip("agreement per joint over the last 60 frames: green >= 0.75, orange >= 0.5, red below")
        grid.addWidget(self.body, 0, 1, 7, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        lay.addLayout(grid)
        self.history = History(30.0)
        self.plot = RollingPlot(self.history, [Series("oks", "OKS A vs B, last 30 s", "#7ccf5a")], fixed_left=(0.0, 1.0))
        self.plot.setMinimumHeight(95)
        lay.addWidget(self.plot)

    def clear(self) -> None:
        self.oks.setText("-")
        self.running.setText("-")
        self.matched.setText("-")
        self.body.set_values(None)
        self.history.clear()
        self.plot.update()

    def show_packet(self, packet) -> None:
        agr = packet.agreement
        if agr is None:
            return
        oks = agr.mean_oks
        self.oks.setText("-" if oks is None else f"{oks:.3f}")
        self.running.setText("-" if packet.running_oks is None else f"{packet.running_oks:.3f} over {packet.compare_frames} frames")
        self.matched.setText(f"{agr.matched} of {agr.persons_a} (A) / {agr.persons_b} (B)")
        self.body.set_values(packet.keypoint_agreement)
        if oks is not None:
            self.history.add({"oks": oks})
            self.plot.update()
