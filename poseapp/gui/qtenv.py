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


def prepare_qt_environment() -> list[str]:
    """Import cv2 and undo the Qt variables it set; return the names removed."""
    import cv2  # noqa: F401  (its import sets the variables; do it now, not later)

    removed = []
    for var in _CV2_VARS:
        value = os.environ.get(var)
        if value and _points_into_cv2(value):
            os.environ.pop(var)
            removed.append(var)
    if not os.environ.get("QT_QPA_PLATFORM") and sys.platform.startswith("linux") \
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # headless machine: run instead of aborting
    return removed


def make_app(argv: list[str] | None = None):
    """The QApplication (created once), after ``prepare_qt_environment``."""
    prepare_qt_environment()
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
    return app
