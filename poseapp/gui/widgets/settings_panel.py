"""The settings column: model and backend, detector, smoothing, display, output.

The detector's confidence and cadence, the smoothing and the display widgets are
built from the settings schema (``poseapp.settings``: each field with a ``group``),
one widget per field, kept as an attribute of the same name (``panel.det_conf``).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from ...settings import DETECTOR, KIND, SETTINGS, panel_settings


def compact_combo() -> QComboBox:
    """A combo box that does not widen its panel to its longest item."""
    c = QComboBox()
    c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    c.setMinimumContentsLength(10)
    return c


def setting_widget(name: str) -> QWidget:
    """The widget for setting ``name``: a check box (on/off) or a spin box (numbers)."""
    m, kind = SETTINGS[name], KIND[name]
    if kind is bool:
        w = QCheckBox(m.label)
    else:
        w = QSpinBox() if kind is int else QDoubleSpinBox()
        if kind is float:
            w.setDecimals(m.decimals)
        w.setRange(m.lo, m.hi)
        w.setSingleStep(m.step)
        w.setKeyboardTracking(False)
    w.setToolTip(m.help)
    return w


def widget_value(w: QWidget) -> Any:
    return w.isChecked() if isinstance(w, QCheckBox) else w.value()


def set_widget_value(w: QWidget, value) -> None:
    if isinstance(w, QCheckBox):
        w.setChecked(bool(value))
    else:
        w.setValue(value)


def _changed_signal(w: QWidget):
    return w.toggled if isinstance(w, QCheckBox) else w.valueChanged


class SettingsPanel(QWidget):
    model_changed = Signal(str, str)  # model, backend
    detector_changed = Signal(str)  # file path or ultralytics name ("" = default)
    settings_changed = Signal(object)  # {name: value} of every setting with a widget here

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

        box = QGroupBox(DETECTOR)
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
        self.settings_widgets: dict[str, QWidget] = {}
        self._add_setting_rows(form, DETECTOR)
        lay.addWidget(box)
        for group in dict.fromkeys(SETTINGS[n].group for n in panel_settings()):
            if group != DETECTOR:
                box = QGroupBox(group)
                self._add_setting_rows(QFormLayout(box), group)
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
        for w in self.settings_widgets.values():
            _changed_signal(w).connect(self._emit_settings)
        self._last_detector = ""

    def _add_setting_rows(self, form: QFormLayout, group: str) -> None:
        """One row per setting of ``group``; check boxes with the same ``row`` share one."""
        rows: dict[str, QHBoxLayout] = {}
        for name in panel_settings():
            m = SETTINGS[name]
            if m.group != group:
                continue
            w = setting_widget(name)
            self.settings_widgets[name] = w
            setattr(self, name, w)
            if m.row and m.row in rows:
                rows[m.row].addWidget(w)
            elif m.row:
                rows[m.row] = QHBoxLayout()
                rows[m.row].addWidget(w)
                form.addRow(m.row, rows[m.row])
            else:
                form.addRow(m.label, w)
            if m.enabled_by:
                self.settings_widgets[m.enabled_by].toggled.connect(w.setEnabled)

    # ---- values
    def settings_values(self) -> dict[str, Any]:
        """``{name: value}`` of every setting with a widget here."""
        return {name: widget_value(w) for name, w in self.settings_widgets.items()}

    def set_settings_values(self, settings) -> None:
        """Show ``settings``' values (any object with the settings as attributes) without emitting changes."""
        for name, w in self.settings_widgets.items():
            w.blockSignals(True)
            set_widget_value(w, getattr(settings, name))
            w.blockSignals(False)
        for name, w in self.settings_widgets.items():
            if SETTINGS[name].enabled_by:
                w.setEnabled(getattr(settings, SETTINGS[name].enabled_by))

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
        self.settings_changed.emit(self.settings_values())

    def _browse_detector(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Person detector", self.detector.text(), "Detectors (*.onnx *.pt);;All files (*)")
        if path:
            self.detector.setText(path)
            self._emit_detector()

    def _browse_output(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Output folder", self.output_dir.text())
        if path:
            self.output_dir.setText(path)
