"""What the window remembers between runs, stored with QSettings.

``GuiSettings`` is plain data; ``load_settings``/``save_settings`` move it to and
from a ``QSettings`` (the platform's default store, or an INI file given with
``poseapp gui --settings FILE``). Values read back are converted to the
field's type, since INI files hold text.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from PySide6.QtCore import QSettings

from ..pipeline import DEFAULT_BACKEND, DEFAULT_MODEL
from .engine import PipelineSettings

GROUP = "gui"
MAX_RECENT = 8


def default_output_dir() -> str:
    return str(Path.home() / "poseapp")


@dataclass
class GuiSettings:
    source: str = ""
    recent_sources: list[str] = field(default_factory=list)
    model: str = DEFAULT_MODEL
    backend: str = DEFAULT_BACKEND
    detector: str = ""  # empty: $POSEAPP_DETECTOR or yolo11n.pt
    det_conf: float = 0.3
    det_every: int = 1
    smooth: bool = True
    min_cutoff: float = 1.0
    beta: float = 0.05
    kpt_threshold: float = 0.3
    show_boxes: bool = False
    show_ids: bool = True
    loop: bool = True
    real_time: bool = False
    compare: bool = False
    compare_model: str = ""
    compare_backend: str = "onnx"
    output_dir: str = field(default_factory=default_output_dir)

    def pipeline_settings(self) -> PipelineSettings:
        return PipelineSettings(
            det_conf=self.det_conf, det_every=self.det_every, smooth=self.smooth, min_cutoff=self.min_cutoff,
            beta=self.beta, kpt_threshold=self.kpt_threshold, show_boxes=self.show_boxes, show_ids=self.show_ids,
        )

    def remember_source(self, spec: str) -> None:
        self.source = spec
        self.recent_sources = [spec] + [s for s in self.recent_sources if s != spec][: MAX_RECENT - 1]


def _convert(value, default):
    if isinstance(default, bool):
        return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(float(value))
    if isinstance(default, float):
        return float(value)
    if isinstance(default, list):
        if value is None or value == "":
            return []
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    return str(value)


def load_settings(store: QSettings) -> GuiSettings:
    """Read every field; a missing or unreadable value keeps its default."""
    out = GuiSettings()
    store.beginGroup(GROUP)
    try:
        for f in fields(GuiSettings):
            if not store.contains(f.name):
                continue
            default = getattr(out, f.name)
            try:
                setattr(out, f.name, _convert(store.value(f.name), default))
            except (TypeError, ValueError):
                pass
    finally:
        store.endGroup()
    return out


def save_settings(store: QSettings, settings: GuiSettings) -> None:
    store.beginGroup(GROUP)
    try:
        for key, value in asdict(settings).items():
            store.setValue(key, value)
    finally:
        store.endGroup()
    store.sync()


def open_store(path: str | Path | None = None) -> QSettings:
    """An INI file at ``path``, or the platform's store for poseapp."""
    if path:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "poseapp", "poseapp")
