"""GUI test fixtures: Qt started cleanly next to OpenCV, a short clip, a window.

Models: lpn50 (A) and sfm (B) are the quickest here in both backends, and their
ONNX exports take about two seconds; networks are untrained, so the keypoints
are noise, which is fine for these tests.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from guitest import MODEL_A, MODEL_B, WAIT_MS
from poseapp.gui.qtenv import prepare_qt_environment

prepare_qt_environment()  # before pytest-qt creates the QApplication


@pytest.fixture(scope="session")
def short_clip(shared_data: Path, tmp_path_factory) -> Path:
    """12 frames of 640x360 (two persons, panning slowly): quick to run through the pipeline."""
    img = cv2.imread(str(shared_data / "media" / "zidane.jpg"))
    img = cv2.resize(img, (704, 396))
    out = tmp_path_factory.mktemp("clip") / "two_people.mp4"
    w = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (640, 360))
    for i in range(12):
        w.write(np.ascontiguousarray(img[18:378, 4 * i : 4 * i + 640]))
    w.release()
    return out


@pytest.fixture
def make_window(qtbot, tmp_path: Path, yolox_path: Path):
    """Build a started ``MainWindow`` (settings in a temporary INI file, outputs in tmp_path)."""
    from poseapp.gui.settings import GuiSettings, open_store
    from poseapp.gui.window import MainWindow

    windows = []

    def make(opener=None, **overrides) -> MainWindow:
        s = GuiSettings(model=MODEL_A, backend="onnx", detector=str(yolox_path), output_dir=str(tmp_path / "out"),
                        loop=True, compare_model=MODEL_B, compare_backend="onnx")
        for k, v in overrides.items():
            setattr(s, k, v)
        win = MainWindow(s, open_store(tmp_path / "settings.ini"), opener=opener, persist=False)
        qtbot.addWidget(win)
        win.resize(1280, 800)
        win.show()
        win.start()
        windows.append(win)
        return win

    yield make
    for win in windows:
        win.shutdown()


@pytest.fixture
def wait_packet(qtbot):
    """``wait_packet(win, check)``: wait until ``win`` shows a packet for which ``check`` holds; return it."""

    def wait(win, check=lambda p: True, timeout_ms: int = WAIT_MS):
        qtbot.waitUntil(lambda: win.last_packet is not None and check(win.last_packet), timeout=timeout_ms)
        return win.last_packet

    return wait
