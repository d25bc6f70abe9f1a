"""What the window remembers between runs, stored with QSettings.

``GuiSettings`` is plain data: the pipeline's settings (``poseapp.settings.Settings``,
the ones the app takes) and the window's own. ``load_settings``/``save_settings`` move
it to and from a ``QSettings`` (the platform's default store, or an INI file given
with ``poseapp gui --settings FILE``). Values read back are converted to the field's
type, since INI files hold text; one that does not convert, or is out of the
setting's range or choices (an old or edited file), reads as the default.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from PySide6.QtCore import QSettings

from ..settings import SETTINGS, Settings, app_settings, parse

GROUP = "gui"
MAX_RECENT = 8


def default_output_dir() -> str:
    return str(Path.home() / "poseapp")


@dataclass
class GuiSettings(Settings):
    """The pipeline's settings (``poseapp.settings``) and the window's own, below."""

    source: str = ""
    recent_sources: list[str] = field(default_factory=list)
    loop: bool = True
    real_time: bool = False
    compare: bool = False
    compare_model: str = ""
    compare_backend: str = "onnx"
    output_dir: str = field(default_factory=default_output_dir)

    def remember_source(self, spec: str) -> None:
        self.source = spec
        self.recent_sources = [spec] + [s for s in self.recent_sources if s != spec][: MAX_RECENT - 1]


def stored_fields() -> list[str]:
    """What is remembered: the settings the app takes and the window's own fields."""
    return app_settings() + [f.name for f in fields(GuiSettings) if f.name not in SETTINGS]


def _convert(value, default):
    """A stored value of one of the window's own fields (text, on/off or a list) as its type."""
    if isinstance(default, bool):
        return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on")
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
        for name in stored_fields():
            if not store.contains(name):
                continue
            value = store.value(name)
            try:
                setattr(out, name, parse(name, value) if name in SETTINGS else _convert(value, getattr(out, name)))
            except (TypeError, ValueError):
                pass
    finally:
        store.endGroup()
    return out


def save_settings(store: QSettings, settings: GuiSettings) -> None:
    store.beginGroup(GROUP)
    try:
        for name in stored_fields():
            store.setValue(name, getattr(settings, name))
    finally:
        store.endGroup()
    store.sync()


def open_store(path: str | Path | None = None) -> QSettings:
    """An INI file at ``path``, or the platform's store for poseapp."""
    if path:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "poseapp", "poseapp")
