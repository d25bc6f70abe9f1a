"""Start Qt cleanly next to opencv-python.

``import cv2`` (opencv-python, not the headless build) points
``QT_QPA_PLATFORM_PLUGIN_PATH`` and ``QT_QPA_FONTDIR`` at the Qt 5 plugins it
bundles; PySide6's Qt 6 then tries to load those and fails ("Could not load the
Qt platform plugin xcb"). ``prepare_qt_environment`` imports cv2 first, removes
what it set, and points Qt at PySide6's own plugins, before any QApplication.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

_CV2_VARS = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")


def _points_into_cv2(value: str) -> bool:
    return "cv2" in Path(value).parts


def no_display() -> bool:
    """Linux without X11 or Wayland and no platform chosen: a window could not open."""
    return (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"))


def prepare_qt_environment(headless_ok: bool = True) -> list[str]:
    """Import cv2 and undo the Qt variables it set; return the names removed.

    With ``headless_ok`` and no display, Qt renders offscreen (scripted runs, tests).
    """
    import cv2  # noqa: F401  (its import sets the variables; do it now, not later)

    removed = []
    for var in _CV2_VARS:
        value = os.environ.get(var)
        if value and _points_into_cv2(value):
            os.environ.pop(var)
            removed.append(var)
    if headless_ok and no_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return removed


def make_app(argv: list[str] | None = None, headless_ok: bool = True):
    """The QApplication (created once), after ``prepare_qt_environment``."""
    prepare_qt_environment(headless_ok)
    from PySide6.QtCore import QCoreApplication, QLibraryInfo
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        plugins = QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)
        if plugins and Path(plugins).is_dir():
            QCoreApplication.setLibraryPaths([plugins])
        app = QApplication(argv if argv is not None else [sys.argv[0]])
        app.setApplicationName("poseapp")
        app.setOrganizationName("poseapp")
        app.setDesktopFileName("poseapp")  # matches packaging/poseapp.desktop (Wayland app id, taskbar icon)
    return app
