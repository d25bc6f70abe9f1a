"""Short version of the GUI engine's soak (``python -m poseapp.soak gui``: 10,000 frames, a switch every 500).

The window's worker thread runs 350 frames of a camera showing the walkers clip, switching model and
backend every 100 frames (3 switches), the camera unplugged at frame 150: the worker keeps running,
shows the loss and the failed Reopen as one-line errors, resumes on the second Reopen, and ends with
no more threads than it had at its first switch; the runners it keeps for switching back (and their
ONNX Runtime sessions) stay within the cache's bound.
"""
from __future__ import annotations

from pathlib import Path

from poseapp.gui import engine
from poseapp.soak import looped_video, soak_gui


def test_worker_survives_switches_and_an_unplugged_camera(shared_data: Path, yolox_path: Path, tmp_path: Path,
                                                          qapp, monkeypatch) -> None:
    monkeypatch.setattr(engine, "RUNNER_CACHE", 2)  # 3 combos: the least recently used runner must go
    video, _ = looped_video(shared_data / "media" / "walkers_one_by_one_1394frames.mp4", 400, tmp_path / "cam.mp4")
    combos = [("sfm", "onnx"), ("lpn50", "onnx-int8"), ("sfm", "torch")]
    r = soak_gui(video, 350, 100, combos, detector=str(yolox_path), lose_at=150, timeout_s=600)
    assert r.alive and r.frames >= 350
    assert [s["frame"] >= f for s, f in zip(r.switches, (100, 200, 300))] == [True] * len(r.switches)
    assert [(s["model"], s["backend"]) for s in r.switches] == [combos[1], combos[2], combos[0]]
    assert r.lost_at is not None and 150 <= r.lost_at < 300 and r.resumed_at == r.lost_at and r.failed_reopens == 1
    assert r.first_seq_after_resume is not None and r.first_seq_after_resume < 30  # the new camera's frames count
    assert any("unplugged" in e for e in r.errors)  # the loss is shown ...
    assert any("cannot open camera" in e for e in r.errors)  # ... and the Reopen while it is away
    assert all("\n" not in e and "Traceback" not in e for e in r.errors)
    first = r.switches[0]
    # at most 2 runners kept, so at most 3 ONNX Runtime sessions (theirs and the detector's)
    assert all(s["runners"] <= 2 and s["onnx_sessions"] <= 3 for s in r.switches + [r.end]), r.switches + [r.end]
    assert r.end["runners"] == 2
    assert r.end["threads"] <= first["threads"] + 2  # worker, reader and loader threads do not pile up
    # one capture thread (the reopened camera's; the unplugged one's ended), no loader left running
    names = [n for n in r.end["thread_names"] if not n.startswith("Dummy-")]  # Dummy: Qt's worker seen from Python
    assert names == ["MainThread", "poseapp-capture"], r.end["thread_names"]


def test_runner_cache_rebuilds_do_not_pile_up(monkeypatch) -> None:
    """``python -m poseapp.soak runners`` in short: 3 model/backend pairs through a 2-runner cache, 4 times
    (12 loads, every one after the first two rebuilds a dropped runner): the cache stays at 2 runners, the
    ONNX Runtime sessions at those runners' own, and memory after the last cycle within 10% of the second's."""
    from poseapp.soak import soak_runners

    monkeypatch.setattr(engine, "RUNNER_CACHE", 2)
    r = soak_runners([("sfm", "onnx"), ("lpn50", "onnx-int8"), ("sfm", "torch")], 4)
    assert [c["loads"] for c in r.cycles] == [3, 6, 9, 12] and r.cache == 2
    assert all(c["runners"] == 2 for c in r.cycles), r.cycles
    # the last two loaded of each cycle are lpn50/onnx-int8 and sfm/torch: one session
    assert all(c["onnx_sessions"] == 1 for c in r.cycles), r.cycles
    assert abs(r.growth(2, 4)) <= 0.10, r.cycles
