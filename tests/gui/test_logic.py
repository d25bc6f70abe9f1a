"""The GUI's Qt-free parts: pose agreement, shared detector, figures, pane layout, names."""
from __future__ import annotations

import os

import numpy as np
import pytest

from poseapp.detect.base import Detections
from poseapp.gui.compare import AgreementStats, SharedDetector, agreement, draw_agreement, match_persons
from poseapp.gui.figures import History, RateMeter, StageWindow
from poseapp.gui.qtenv import prepare_qt_environment
from poseapp.gui.recorder import safe_stem
from poseapp.poses import Poses
from poseapp.skeleton import oks


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _persons(*persons) -> Poses:
    """``Poses`` of ``(box, keypoints[, keypoint score[, track id]])`` tuples."""
    rows = [(box, kps, *rest) + (0.8, 1)[len(rest):] for box, kps, *rest in persons]
    if not rows:
        return Poses.empty(17)
    return Poses(np.stack([np.asarray(k, np.float32) for _, k, _, _ in rows]),
                 np.stack([np.full(len(k), s, np.float32) for _, k, s, _ in rows]),
                 np.array([b for b, _, _, _ in rows], np.float32), np.full(len(rows), 0.9, np.float32),
                 np.array([t for _, _, _, t in rows]))


def test_match_persons_by_iou_one_to_one() -> None:
    a = np.array([[0, 0, 10, 10], [100, 100, 150, 200]], np.float32)
    b = np.array([[101, 99, 150, 201], [0, 1, 10, 11], [500, 500, 510, 510]], np.float32)
    assert sorted(match_persons(a, b)) == [(0, 1), (1, 0)]
    assert match_persons(a, b[2:]) == []
    assert match_persons(a[:0], b) == []


def test_agreement_identical_and_shifted_poses() -> None:
    kps = np.stack([np.linspace(10, 90, 17), np.linspace(20, 180, 17)], 1)
    pa = _persons(([0, 0, 100, 200], kps), ([300, 0, 400, 200], kps + [300, 0], 0.8, 2))
    same = agreement(pa, _persons(([0, 0, 100, 200], kps), ([300, 0, 400, 200], kps + [300, 0])), 0.3)
    assert same.matched == 2 and same.mean_oks == pytest.approx(1.0)
    moved_b = _persons(([0, 0, 100, 200], kps + 15))
    moved = agreement(pa, moved_b, 0.3)
    assert moved.matched == 1 and moved.persons_a == 2 and moved.persons_b == 1
    assert 0.0 < moved.mean_oks < 0.9
    assert moved.pairs[0].oks == pytest.approx(oks(kps, kps + 15, 100.0 * 200.0))  # A's box area as the scale
    # the B pane marks the disagreeing joints (drawn from the arrays)
    canvas = np.zeros((240, 480, 3), np.uint8)
    draw_agreement(canvas, pa, moved_b, moved)
    assert canvas.any()
    # no confident joint in either model: all joints are compared rather than none
    low = agreement(_persons(([0, 0, 100, 200], kps, 0.01)), _persons(([0, 0, 100, 200], kps, 0.01)), 0.3)
    assert low.mean_oks == pytest.approx(1.0)
    stats = AgreementStats()
    stats.add(same)
    stats.add(moved)
    stats.add(agreement(_persons(), _persons(), 0.3))  # nothing matched: not counted
    assert stats.frames == 2 and stats.running_oks == pytest.approx((1.0 + moved.mean_oks) / 2)
    assert stats.keypoint_means().shape == (17,) and np.all(stats.keypoint_means() <= 1.0)



def test_agreement_stats_joint_never_seen_is_nan_without_warning() -> None:
    import warnings

    from poseapp.gui.compare import Agreement, PersonAgreement

    sim = np.full(17, np.nan)
    sim[:5] = [1.0, 0.5, 0.0, 0.25, 0.75]
    sim2 = sim.copy()
    sim2[0] = 0.0
    stats = AgreementStats()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "Mean of empty slice" would fail here
        stats.add(Agreement(1, 1, [PersonAgreement(0, 0, 0.5, sim), PersonAgreement(0, 0, 0.5, sim2)]))
        stats.add(Agreement(1, 1, [PersonAgreement(0, 0, 0.8, sim)]))
        means = stats.keypoint_means()
    assert means[0] == pytest.approx((0.5 + 1.0) / 2)  # frame 1's two persons averaged, then the frames
    assert means[1:5] == pytest.approx(sim[1:5])
    assert np.isnan(means[5:]).all()


def test_shared_detector_runs_once_per_frame() -> None:
    calls = []

    class Det:
        name = "fake"
        conf = 0.3

        def __call__(self, frame):
            calls.append(frame)
            return Detections(np.array([[1, 2, 3, 4]], np.float32), np.array([0.9], np.float32))

    shared = SharedDetector(Det())
    f1, f2 = np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 3), np.uint8)
    d1 = shared(f1)
    d1.xyxy[:] = 0  # callers get copies
    assert shared(f1).xyxy.tolist() == [[1, 2, 3, 4]]
    shared(f2)
    assert len(calls) == 2 and shared.name == "fake"
    shared.conf = 0.6
    assert shared.inner.conf == 0.6
    shared(f2)
    assert len(calls) == 3  # a new threshold forgets the cached boxes


def test_stage_window_fps_and_pps() -> None:
    clock = Clock()
    w = StageWindow(window_s=1.0, min_frames=2, clock=clock)
    for _ in range(4):
        w.add({"detect": 20.0, "crop": 5.0, "pose": 40.0, "decode": 5.0, "draw": 30.0}, persons=5)
        clock.t += 0.1
    f = w.figures()
    assert f.pipeline_fps == pytest.approx(10.0)  # 100 ms a frame
    assert f.pps == pytest.approx(5 / 0.05)  # 5 persons per 50 ms of crop + pose + decode
    assert f.persons == 5 and f.stage_ms["pose"] == pytest.approx(40.0)
    clock.t += 5.0
    w.add({"pose": 10.0}, persons=1)
    assert len(w._items) == 2  # old frames leave the window, the last few stay


def test_rate_meter_slow_and_stopped() -> None:
    clock = Clock()
    r = RateMeter(window_s=10.0, clock=clock)
    for _ in range(5):
        r.tick()
        clock.t += 0.5
    assert r.rate == pytest.approx(2.0)
    clock.t += 3.5  # stopped: decays as 1 / time since the last frame
    assert r.rate == pytest.approx(0.25)
    h = History(30.0, clock=clock)
    h.add({"fps": 1.0})
    clock.t += 31
    h.add({"fps": 2.0})
    assert h.series("fps") == [(clock.t, 2.0)]


def test_safe_stem() -> None:
    assert safe_stem("/data/clips/street 1.mp4") == "street_1"
    assert safe_stem("camera 0") == "camera_0"
    assert safe_stem("rtsp://10.0.0.2:554/live") == "rtsp_10.0.0.2_554_live"
    assert safe_stem("/data/frames/") == "frames"


def test_prepare_qt_environment_removes_cv2_plugin_path(monkeypatch) -> None:
    import cv2

    cv2_dir = os.path.dirname(cv2.__file__)
    monkeypatch.setenv("QT_QPA_PLATFORM_PLUGIN_PATH", os.path.join(cv2_dir, "qt", "plugins"))
    monkeypatch.setenv("QT_QPA_FONTDIR", "/usr/share/fonts/mine")  # not cv2's: kept
    removed = prepare_qt_environment()
    assert removed == ["QT_QPA_PLATFORM_PLUGIN_PATH"]
    assert "QT_QPA_PLATFORM_PLUGIN_PATH" not in os.environ
    assert os.environ["QT_QPA_FONTDIR"] == "/usr/share/fonts/mine"


class _FastCamera:
    """Delivers a frame every 5 ms; dies after ``frames`` frames."""

    def __init__(self, frames: int = 10_000) -> None:
        self.index = 0
        self.frames = frames
        self.closed = False

    def read(self):
        import time

        from poseapp.io import Frame

        if self.index >= self.frames:
            return None
        time.sleep(0.005)
        self.index += 1
        return Frame(np.zeros((2, 2, 3), np.uint8), self.index - 1, self.index * 0.005)

    def close(self) -> None:
        self.closed = True


def _wait_until(condition, timeout_s: float = 30.0, poll_s: float = 0.002) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout_s`` (generous: the cores are shared)."""
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"condition not met within {timeout_s} s"
        time.sleep(poll_s)


def test_latest_frame_reader_drops_old_frames_and_reports_loss() -> None:
    import time

    from poseapp.gui.capture import LatestFrameReader

    cam = _FastCamera()
    reader = LatestFrameReader(cam)
    first = reader.take(30.0)
    assert first is not None
    # a slow consumer: it takes again only once the camera has delivered 13 more frames, however
    # long the machine takes for them (no fixed sleep that a busy machine can outlast)
    _wait_until(lambda: cam.index >= first.index + 14)
    delivered = cam.index  # frames 0..delivered-1 have left read(); delivered-2 is stored for sure
    newest = reader.take(1.0)
    assert newest.index >= delivered - 2  # it is the newest one, not the next in a queue
    assert newest.index - first.index >= 11 and reader.dropped >= 10
    reader.close()
    assert cam.closed
    dying = _FastCamera(frames=3)
    reader = LatestFrameReader(dying, lost_after_s=0.2)
    deadline = time.monotonic() + 5
    while reader.failed is None and time.monotonic() < deadline:
        reader.take(0.1)
    assert reader.failed and "no frame" in reader.failed and dying.closed
