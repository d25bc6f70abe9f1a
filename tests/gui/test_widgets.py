"""Widgets on their own: plot scale, pane layout, drops, settings round trip."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtWidgets import QBoxLayout

from poseapp.gui.settings import GuiSettings, load_settings, open_store, save_settings
from poseapp.gui.widgets.pane_area import best_direction
from poseapp.gui.widgets.plot import nice_ceiling


def test_nice_ceiling() -> None:
    assert [nice_ceiling(v) for v in (0, 0.7, 1.0, 3.2, 7, 42, 230)] == [1.0, 1.0, 1.0, 5.0, 10.0, 50.0, 250.0]


def test_panes_side_by_side_or_stacked() -> None:
    lr, tb = QBoxLayout.Direction.LeftToRight, QBoxLayout.Direction.TopToBottom
    assert best_direction((1600, 500), (1280, 720)) == lr  # wide area
    assert best_direction((900, 800), (1280, 720)) == tb  # landscape video in a squarish area
    assert best_direction((900, 800), (480, 640)) == lr  # portrait video


def test_dropped_source(qapp, tmp_path: Path) -> None:
    from poseapp.gui.window import dropped_source

    video = tmp_path / "clip.mp4"
    video.write_bytes(b"")
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.txt")), QUrl.fromLocalFile(str(video))])
    assert dropped_source(md) == str(video)
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(tmp_path))])
    assert dropped_source(md) == str(tmp_path)
    md = QMimeData()
    md.setText("rtsp://cam.local/stream\n")
    assert dropped_source(md) == "rtsp://cam.local/stream"
    md = QMimeData()
    md.setText("hello")
    assert dropped_source(md) is None


def test_settings_round_trip(qapp, tmp_path: Path) -> None:
    path = tmp_path / "settings.ini"
    s = GuiSettings(model="sfm", backend="torch", detector="/d/yolox.onnx", det_conf=0.45, det_every=3, smooth=False,
                    min_cutoff=0.5, beta=0.2, kpt_threshold=0.1, show_boxes=True, show_ids=False, loop=False,
                    real_time=True, compare=True, compare_model="lpn50", compare_backend="torch", output_dir=str(tmp_path))
    s.remember_source("/videos/a.mp4")
    s.remember_source("0")
    s.remember_source("/videos/a.mp4")
    save_settings(open_store(path), s)
    back = load_settings(open_store(path))
    assert back == s
    assert back.recent_sources == ["/videos/a.mp4", "0"]
    assert load_settings(open_store(tmp_path / "none.ini")) == GuiSettings()  # nothing stored: defaults


def test_window_saves_and_restores_settings(qtbot, tmp_path: Path, yolox_path: Path) -> None:
    """Values changed in the window are written on close and shown by the next window."""
    from poseapp.gui.window import MainWindow

    path = tmp_path / "settings.ini"
    s = GuiSettings(model="lpn50", backend="onnx", detector=str(yolox_path), output_dir=str(tmp_path))
    win = MainWindow(s, open_store(path), persist=True)
    qtbot.addWidget(win)
    sp = win.settings_panel
    sp.select_model("sfm", "torch")
    sp.det_conf.setValue(0.55)
    sp.smooth.setChecked(False)
    sp.show_boxes.setChecked(True)
    win.compare.select("lpn50", "torch")
    win.compare.enabled.setChecked(True)
    win.playback.loop.setChecked(False)
    win.close()  # never started: closing only saves
    back = load_settings(open_store(path))
    assert (back.model, back.backend, back.det_conf, back.smooth, back.show_boxes) == ("sfm", "torch", 0.55, False, True)
    assert (back.compare, back.compare_model, back.compare_backend, back.loop) == (True, "lpn50", "torch", False)
    win2 = MainWindow(back, open_store(path), persist=False)
    qtbot.addWidget(win2)
    assert win2.settings_panel.model_selection() == ("sfm", "torch")
    assert win2.settings_panel.det_conf.value() == 0.55 and not win2.playback.loop.isChecked()
    assert win2.compare.selection() == ("lpn50", "torch") and win2.act_compare.isChecked()
    assert np.isclose(win2.settings_panel.settings_values()["det_conf"], 0.55)
