"""The window on real frames: playing, figures, switching live, errors, lost camera, keys."""
from __future__ import annotations

import re
import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from poseapp.io import open_source

from guitest import MODEL_A, MODEL_B, WAIT_MS


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.]", "", text) or "nan")


def test_plays_a_file_with_live_figures(make_window, wait_packet, short_clip) -> None:
    win = make_window()
    win.open_source(str(short_clip))
    p = wait_packet(win, lambda p: p.seq >= 3)
    assert win.view_a.frame is not None and win.view_a.frame.shape == (360, 640, 3)
    assert not win.view_b.isVisible()
    pane = p.panes[0]
    assert (pane.model, pane.backend) == (MODEL_A, "onnx")
    assert set(pane.result.timings_ms) >= {"detect", "crop", "pose", "decode", "draw"}
    assert pane.figures.persons >= 1 and pane.figures.pipeline_fps > 0 and pane.figures.pps > 0
    f = win.figures
    assert _number(f.text("pipeline_fps")) > 0 and _number(f.text("pps")) > 0 and int(f.text("persons")) >= 1
    assert _number(f.text("pose")) > 0 and _number(f.text("detect")) > 0
    assert "frame" in win.playback.position.text() and "/12" in win.playback.position.text()
    assert win.last_error == ""
    assert win.history.series("pipeline_fps")  # the rolling plot has data


def test_switch_model_and_backend_mid_stream(make_window, wait_packet, short_clip, qtbot) -> None:
    win = make_window(loop=True)
    opened = []
    win.worker.source_opened.connect(opened.append)
    win.open_source(str(short_clip))
    first = wait_packet(win, lambda p: p.seq >= 2)
    win.toggle_backend()  # B key: onnx -> torch, same model
    p = wait_packet(win, lambda p: p.panes[0].backend == "torch")
    assert p.panes[0].model == MODEL_A and p.seq > first.seq
    win.set_model(MODEL_B, "torch")
    p2 = wait_packet(win, lambda p: p.panes[0].model == MODEL_B)
    assert p2.panes[0].backend == "torch" and p2.seq > p.seq
    assert win.settings_panel.model_selection() == (MODEL_B, "torch")
    assert MODEL_B in win.models_label.text()
    from poseapp.gui.engine import BACKEND_NAMES
    from poseapp.runtime.manifest import resolve_backend

    picked = resolve_backend(MODEL_A, "auto")  # the shipped int8 model where recorded faster, else onnx
    assert win.settings_panel.backend.findData("auto") >= 0  # the Backend list offers "Auto (fastest shipped)"
    win.set_model(MODEL_A, "auto")
    p3 = wait_packet(win, lambda p: p.panes[0].model == MODEL_A and p.seq > p2.seq)
    assert p3.panes[0].backend == picked != "auto"
    assert win.settings_panel.model_selection() == (MODEL_A, "auto")  # the list keeps Auto, remembered as such
    assert f"{MODEL_A} · {BACKEND_NAMES[picked]}" in win.models_label.text()  # the status bar names what runs
    assert len(opened) == 1  # the source kept running: never reopened
    assert win.last_error == ""


def test_source_errors_are_shown_and_the_window_goes_on(make_window, wait_packet, short_clip, qtbot, tmp_path) -> None:
    win = make_window()
    win.open_source(str(tmp_path / "missing.mp4"))
    qtbot.waitUntil(lambda: "not found" in win.last_error, timeout=WAIT_MS)
    assert "missing.mp4" in win.status_text.text()
    win.open_source("7")  # no such camera
    qtbot.waitUntil(lambda: "camera 7" in win.last_error, timeout=WAIT_MS)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    win.open_source(str(broken))
    qtbot.waitUntil(lambda: "broken.mp4" in win.last_error, timeout=WAIT_MS)
    assert win.isVisible() and win.worker.isRunning()
    win.open_source(str(short_clip))
    wait_packet(win, lambda p: p.seq >= 1)
    assert win.view_a.frame is not None


def test_a_fresh_error_is_not_covered_by_background_messages(make_window) -> None:
    # a model that finishes loading just after a failed open must not hide the error (it did, under load)
    win = make_window()
    win.show_error("video not found: /x/missing.mp4: check the path")
    win.worker.message.emit("lpn50 on ONNX Runtime")  # same thread: delivered now, no event loop in between
    win._on_busy("loading lpn50 (ONNX Runtime)")
    assert "missing.mp4" in win.status_text.text()
    assert "loading lpn50" in win.settings_panel.busy.text()  # the load is still shown where loads are shown
    win._error_at -= win.ERROR_HOLD_S  # the error is old now
    win.worker.message.emit("lpn50 on ONNX Runtime")
    assert win.status_text.text() == "lpn50 on ONNX Runtime"
    win.show_error("camera 7 cannot be opened: pick another")
    win.show_message("snapshot saved: a.png")  # what the user does next replaces an error at once
    assert win.status_text.text() == "snapshot saved: a.png"


def test_bad_detector_and_model_errors(make_window, wait_packet, short_clip, qtbot, tmp_path) -> None:
    win = make_window()
    win.open_source(str(short_clip))
    wait_packet(win, lambda p: p.seq >= 1)
    win.worker.set_detector(str(tmp_path / "nope.onnx"))
    qtbot.waitUntil(lambda: "nope.onnx" in win.last_error, timeout=WAIT_MS)
    win.set_model("no-such-net", "onnx")
    qtbot.waitUntil(lambda: "unknown model" in win.last_error, timeout=WAIT_MS)
    seq = win.last_packet.seq
    wait_packet(win, lambda p: p.seq > seq)  # frames keep coming with the old detector and model
    assert win.last_packet.panes[0].model == MODEL_A
    qtbot.waitUntil(lambda: win.settings_panel.model_selection()[0] == MODEL_A, timeout=WAIT_MS)


def test_int8_backend_from_the_list(make_window, wait_packet, short_clip, qtbot, tmp_path, monkeypatch) -> None:
    """The shipped int8 model runs from the Backend list; a model without one is a one-line error."""
    win = make_window()
    assert "onnx-int8" in [win.settings_panel.backend.itemData(i) for i in range(win.settings_panel.backend.count())]
    win.open_source(str(short_clip))
    wait_packet(win, lambda p: p.seq >= 1)
    win.set_model(MODEL_A, "onnx-int8")
    p = wait_packet(win, lambda p: p.panes[0].backend == "onnx-int8")
    assert p.panes[0].model == MODEL_A and len(p.panes[0].result.persons) > 0
    monkeypatch.setenv("POSEAPP_MODELS_DIR", str(tmp_path))  # nothing shipped, nothing quantised
    monkeypatch.setenv("POSEAPP_CACHE", str(tmp_path / "cache"))
    win.set_model(MODEL_B, "onnx-int8")
    qtbot.waitUntil(lambda: "poseapp quantize" in win.last_error, timeout=WAIT_MS)
    seq = win.last_packet.seq
    wait_packet(win, lambda p: p.seq > seq)  # the int8 lpn50 keeps running
    assert win.last_packet.panes[0].backend == "onnx-int8"


class FlakyCamera:
    """A 'camera' that delivers a few frames of a clip, then is unplugged."""

    live = True
    kind = "video"
    fps = 10.0
    frame_count = None
    size = (640, 360)

    def __init__(self, clip, frames: int) -> None:
        self.src = open_source(str(clip))
        self.left = frames

    def read(self):
        if self.left <= 0:
            return None
        self.left -= 1
        threading.Event().wait(0.05)
        return self.src.read()

    def close(self) -> None:
        self.src.close()


def test_lost_camera_is_reported_and_can_be_reopened(make_window, wait_packet, short_clip, qtbot) -> None:
    opened = []

    def opener(spec: str):
        opened.append(spec)
        return FlakyCamera(short_clip, frames=3)

    win = make_window(opener=opener)
    win.open_source("0")
    p = wait_packet(win, lambda p: p.seq >= 1)
    assert p.live and "live" in win.playback.position.text()
    qtbot.waitUntil(lambda: "lost" in win.last_error, timeout=WAIT_MS)
    assert "Reopen" in win.status_text.text()
    before = win.last_packet
    win.act_reopen.trigger()  # F5
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=WAIT_MS)
    wait_packet(win, lambda p: p is not before)  # frames again
    assert opened == ["0", "0"]


def test_pause_step_seek_and_keys(make_window, wait_packet, short_clip, qtbot) -> None:
    win = make_window(loop=False)
    win.open_source(str(short_clip))
    wait_packet(win, lambda p: p.seq >= 1)
    win.activateWindow()
    qtbot.keyClick(win, Qt.Key.Key_Space)  # pause
    qtbot.waitUntil(lambda: not win._playing, timeout=WAIT_MS)
    win.worker.seek(5)
    wait_packet(win, lambda p: p.frame_index == 5)
    qtbot.keyClick(win, Qt.Key.Key_Period)  # one frame forward
    wait_packet(win, lambda p: p.frame_index == 6)
    win.act_back.trigger()
    wait_packet(win, lambda p: p.frame_index == 5)
    assert not win._playing
    win.act_keys.trigger()  # F1: the shortcuts, in a window that does not block
    boxes = [w for w in win.findChildren(QMessageBox) if w.isVisible()]
    assert boxes and "Space" in boxes[0].text()
    boxes[0].close()
    qtbot.keyClick(win, Qt.Key.Key_Space)  # play on to the end (loop off)
    wait_packet(win, lambda p: p.frame_index == 11)
    qtbot.waitUntil(lambda: not win._playing, timeout=WAIT_MS)
    assert "end of the video" in win.status_text.text()


def test_settings_apply_live(make_window, wait_packet, short_clip, qtbot) -> None:
    win = make_window(loop=True)
    win.open_source(str(short_clip))
    wait_packet(win, lambda p: p.seq >= 1)
    sp = win.settings_panel
    sp.det_conf.setValue(0.6)
    sp.det_every.setValue(3)
    sp.kpt_threshold.setValue(0.0)
    sp.show_boxes.setChecked(True)
    sp.smooth.setChecked(False)
    seq = win.last_packet.seq
    wait_packet(win, lambda p: p.seq > seq + 1)
    engine = win.worker.engine
    cfg = engine.pipeline_a.config
    assert engine.detector.inner.conf == 0.6 and cfg.det_conf == 0.6 and cfg.det_every == 3
    assert cfg.kpt_threshold == 0.0 and cfg.show_boxes and not cfg.smooth
    sp.min_cutoff.setValue(2.5)
    sp.beta.setValue(0.3)
    qtbot.waitUntil(lambda: engine.pipeline_a.smoother.config.min_cutoff == 2.5 and engine.pipeline_a.smoother.config.beta == 0.3,
                    timeout=WAIT_MS)


def test_image_folder_url_and_real_time(make_window, wait_packet, short_clip, shared_data, qtbot, tmp_path) -> None:
    import shutil
    import time

    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("zidane.jpg", "bus.jpg"):
        shutil.copy(shared_data / "media" / name, folder / name)
    win = make_window(loop=False)
    win.open_source(str(folder))
    p = wait_packet(win, lambda p: p.frame_index == 1)
    assert p.frame_count == 2 and p.panes[0].image_bgr.shape[:2] == (720, 1280)  # name order: bus.jpg, zidane.jpg
    win.open_source("rtsp://127.0.0.1:9/stream")  # nothing listens there
    qtbot.waitUntil(lambda: "rtsp://127.0.0.1:9/stream" in win.last_error, timeout=WAIT_MS)
    # real-time playback: the 12 frames at 10 fps take at least their 1.2 s, skipping frames when behind
    win.playback.real_time.setChecked(True)
    shown = []
    win.packet_shown.connect(lambda p: shown.append(p.frame_index))
    t0 = time.monotonic()
    win.open_source(str(short_clip))
    qtbot.waitUntil(lambda: "end of the video" in win.status_text.text(), timeout=WAIT_MS)
    assert time.monotonic() - t0 >= 1.0
    assert shown and shown == sorted(set(shown)) and shown[-1] >= 6
