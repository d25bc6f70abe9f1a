"""The settings column: model and backend, detector, smoothing, display, output."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from ..engine import PipelineSettings


def compact_combo() -> QComboBox:
    """A combo box that does not widen its panel to its longest item."""
    c = QComboBox()
    c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    c.setMinimumContentsLength(10)
    return c


def _spin(lo: float, hi: float, step: float, decimals: int, tip: str) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setSingleStep(step)
    s.setDecimals(decimals)
    s.setToolTip(tip)
    s.setKeyboardTracking(False)
    return s


class SettingsPanel(QWidget):
    model_changed = Signal(str, str)  # model, backend
    detector_changed = Signal(str)  # file path or ultralytics name ("" = default)
    settings_changed = Signal(object)  # PipelineSettings

    def __init__(self, models: list[tuple[str, str]], backends: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)

        box = QGroupBox("Pose model")
        form = QFormLayout(box)
        self.model = compact_combo()
        for name, text in models:
            self.model.addItem(text, name)
        self.model.setToolTip("pose network (M: next, Shift+M: previous); 'untrained' ones draw noise")
        self.backend = compact_combo()
        for key, text in backends:
            self.backend.addItem(text, key)
        self.backend.setToolTip("runtime (B toggles); the ONNX export runs in the background the first time")
        self.busy = QLabel("")
        self.busy.setWordWrap(True)
        self.busy.setStyleSheet("color: #e8a33d;")
        form.addRow("Model", self.model)
        form.addRow("Backend", self.backend)
        form.addRow(self.busy)
        lay.addWidget(box)

        box = QGroupBox("Person detector")
        form = QFormLayout(box)
        row = QHBoxLayout()
        self.detector = QLineEdit()
        self.detector.setPlaceholderText("default: $POSEAPP_DETECTOR or yolo11n.pt")
        self.detector.setToolTip("a YOLOX .onnx, an ultralytics .pt/.onnx file, or an ultralytics model name")
        browse = QPushButton("…")
        browse.setFixedWidth(28)
        browse.clicked.connect(self._browse_detector)
        row.addWidget(self.detector)
        row.addWidget(browse)
        form.addRow("File", row)
        self.det_conf = _spin(0.05, 0.95, 0.05, 2, "detector confidence threshold")
        self.det_every = QSpinBox()
        self.det_every.setRange(1, 30)
        self.det_every.setKeyboardTracking(False)
        self.det_every.setToolTip("run the detector every K frames; in between, boxes follow the poses")
        form.addRow("Confidence", self.det_conf)
        form.addRow("Detect every", self.det_every)
        lay.addWidget(box)

        box = QGroupBox("Smoothing (One Euro)")
        form = QFormLayout(box)
        self.smooth = QCheckBox("on")
        self.min_cutoff = _spin(0.01, 20.0, 0.1, 2, "min cutoff in Hz: lower = steadier when still, more lag")
        self.beta = _spin(0.0, 5.0, 0.01, 3, "speed coefficient: higher = less lag when moving")
        form.addRow("Smoothing", self.smooth)
        form.addRow("Min cutoff Hz", self.min_cutoff)
        form.addRow("Beta", self.beta)
        lay.addWidget(box)

        box = QGroupBox("Display")
        form = QFormLayout(box)
        self.kpt_threshold = _spin(0.0, 1.0, 0.05, 2, "keypoints scored below this are not drawn")
        self.show_boxes = QCheckBox("boxes")
        self.show_ids = QCheckBox("track ids")
        row = QHBoxLayout()
        row.addWidget(self.show_boxes)
        row.addWidget(self.show_ids)
        form.addRow("Keypoint threshold", self.kpt_threshold)
        form.addRow("Show", row)
        lay.addWidget(box)

        box = QGroupBox("Output")
        form = QFormLayout(box)
        row = QHBoxLayout()
        self.output_dir = QLineEdit()
        self.output_dir.setToolTip("recordings (video + keypoints JSON) and snapshots go here")
        browse = QPushButton("…")
        browse.setFixedWidth(28)
        browse.clicked.connect(self._browse_output)
        row.addWidget(self.output_dir)
        row.addWidget(browse)
        form.addRow("Folder", row)
        lay.addWidget(box)
        lay.addStretch(1)

        self.model.activated.connect(self._emit_model)
        self.backend.activated.connect(self._emit_model)
        self.detector.editingFinished.connect(self._emit_detector)
        for w in (self.det_conf, self.min_cutoff, self.beta, self.kpt_threshold):
            w.valueChanged.connect(self._emit_settings)
        self.det_every.valueChanged.connect(self._emit_settings)
        for w in (self.smooth, self.show_boxes, self.show_ids):
            w.toggled.connect(self._emit_settings)
        self.smooth.toggled.connect(lambda on: (self.min_cutoff.setEnabled(on), self.beta.setEnabled(on)))
        self._last_detector = ""

    # ---- values
    def pipeline_settings(self) -> PipelineSettings:
        return PipelineSettings(
            det_conf=self.det_conf.value(), det_every=self.det_every.value(), smooth=self.smooth.isChecked(),
            min_cutoff=self.min_cutoff.value(), beta=self.beta.value(), kpt_threshold=self.kpt_threshold.value(),
            show_boxes=self.show_boxes.isChecked(), show_ids=self.show_ids.isChecked(),
        )

    def set_pipeline_settings(self, s: PipelineSettings) -> None:
        widgets = (self.det_conf, self.det_every, self.smooth, self.min_cutoff, self.beta, self.kpt_threshold, self.show_boxes, self.show_ids)
        for w in widgets:
            w.blockSignals(True)
        self.det_conf.setValue(s.det_conf)
        self.det_every.setValue(s.det_every)
        self.smooth.setChecked(s.smooth)
        self.min_cutoff.setValue(s.min_cutoff)
        self.beta.setValue(s.beta)
        self.kpt_threshold.setValue(s.kpt_threshold)
        self.show_boxes.setChecked(s.show_boxes)
        self.show_ids.setChecked(s.show_ids)
        for w in widgets:
            w.blockSignals(False)
        self.min_cutoff.setEnabled(s.smooth)
        self.beta.setEnabled(s.smooth)

    def model_selection(self) -> tuple[str, str]:
        return self.model.currentData(), self.backend.currentData()

    def select_model(self, model: str, backend: str) -> None:
        for combo, value in ((self.model, model), (self.backend, backend)):
            i = combo.findData(value)
            if i >= 0:
                combo.setCurrentIndex(i)

    def set_detector_text(self, spec: str) -> None:
        self.detector.setText(spec)
        self._last_detector = spec

    # ---- user actions
    def _emit_model(self, *_args) -> None:
        self.model_changed.emit(*self.model_selection())

    def _emit_detector(self) -> None:
        spec = self.detector.text().strip()
        if spec != self._last_detector:
            self._last_detector = spec
            self.detector_changed.emit(spec)

    def _emit_settings(self, *_args) -> None:
        self.settings_changed.emit(self.pipeline_settings())

    def _browse_detector(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Person detector", self.detector.text(), "Detectors (*.onnx *.pt);;All files (*)")
        if path:
            self.detector.setText(path)
            self._emit_detector()

    def _browse_output(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Output folder", self.output_dir.text())
        if path:
            self.output_dir.setText(path)
