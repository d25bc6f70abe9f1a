"""Each setting changed in the window's settings panel reaches the stage that uses it on the next frame.

A real window (its worker thread, the YOLOX detector, the pose network) plays a clip of a real photo.
Spies on the stages record, in the worker's order, what each one saw: the detector its confidence
threshold (and the scores it let through), the pipeline whether the detector ran, the One Euro filter
its parameters, the drawing its threshold and what it shows. The run pauses after one frame, the
setting is changed in its panel widget as a user would, and every stage call from then on must see
the new value, and the calls before it the old one. In compare mode both panes' pipelines must.
"""
from __future__ import annotations

import pytest

import poseapp.pipeline as pipeline_module
from guitest import WAIT_MS
from poseapp.detect import YoloxOnnxDetector
from poseapp.pipeline import Pipeline
from poseapp.settings import DEFAULTS
from poseapp.track import PoseSmoother

FRAMES_AFTER = 6  # frames played after the change


@pytest.fixture
def stage_log(monkeypatch) -> list[tuple[str, dict]]:
    """``(stage, what it saw)`` for every stage call, in order."""
    log: list[tuple[str, dict]] = []

    detect = YoloxOnnxDetector.__call__

    def spy_detect(self, frame):
        dets = detect(self, frame)
        log.append(("detect", {"conf": self.conf, "scores": dets.conf.tolist()}))
        return dets

    process = Pipeline.process

    def spy_process(self, frame, index, time_s):
        result = process(self, frame, index, time_s)
        log.append(("frame", {"detected": result.detected, "persons": len(result.persons)}))
        return result

    smooth = PoseSmoother.smooth

    def spy_smooth(self, track_ids, t_s, keypoints):
        log.append(("smooth", {"min_cutoff": self.config.min_cutoff, "beta": self.config.beta}))
        return smooth(self, track_ids, t_s, keypoints)

    draw = pipeline_module.draw_poses

    def spy_draw(frame, poses, config):
        log.append(("draw", {"kpt_threshold": config.kpt_threshold, "show_boxes": config.show_boxes,
                             "show_ids": config.show_ids}))
        return draw(frame, poses, config)

    monkeypatch.setattr(YoloxOnnxDetector, "__call__", spy_detect)
    monkeypatch.setattr(Pipeline, "process", spy_process)
    monkeypatch.setattr(PoseSmoother, "smooth", spy_smooth)
    monkeypatch.setattr(pipeline_module, "draw_poses", spy_draw)
    return log


@pytest.fixture
def change_live(make_window, wait_packet, short_clip, qtbot, stage_log):
    """``change_live(name, value)``: play one frame, pause, set ``name`` to ``value`` in its panel widget,
    play FRAMES_AFTER more; returns the stage calls before and after the change."""

    def run(name: str, value, compare: bool = False) -> tuple[list, list]:
        win = make_window(loop=False, compare=compare)
        win.worker.pause_after(1)
        win.open_source(str(short_clip))
        wait_packet(win, lambda p: p.seq >= 1 and len(p.panes) == (2 if compare else 1))
        qtbot.waitUntil(lambda: not win._playing, timeout=WAIT_MS)  # the worker is idle: no frame in flight
        mark = len(stage_log)
        before = list(stage_log)
        widget = win.settings_panel.settings_widgets[name]
        assert getattr(DEFAULTS, name) != value
        if isinstance(value, bool):
            widget.setChecked(value)
        else:
            widget.setValue(value)
        win.worker.pause_after(1 + FRAMES_AFTER)
        win.worker.set_playing(True)
        wait_packet(win, lambda p: p.seq >= 1 + FRAMES_AFTER)
        after = stage_log[mark:]
        assert sum(stage == "frame" for stage, _ in after) >= FRAMES_AFTER * (2 if compare else 1)
        return before, after

    return run


def _seen(log: list, stage: str, key: str) -> list:
    return [seen[key] for s, seen in log if s == stage]


def test_detector_confidence_reaches_the_running_detector(change_live) -> None:
    before, after = change_live("det_conf", 0.8)
    assert set(_seen(before, "detect", "conf")) == {DEFAULTS.det_conf}
    assert min(min(scores) for scores in _seen(before, "detect", "scores")) < 0.8  # a person 0.8 would drop
    assert _seen(after, "detect", "conf") and set(_seen(after, "detect", "conf")) == {0.8}
    assert all(score >= 0.8 for scores in _seen(after, "detect", "scores") for score in scores)


def test_detect_every_reaches_the_detection_cadence(change_live) -> None:
    before, after = change_live("det_every", 3)
    assert _seen(before, "frame", "detected") == [True]
    ran = _seen(after, "frame", "detected")
    assert ran[0] is False  # the very next frame follows the poses instead of detecting
    assert 0 < sum(ran) <= 2 and "".join("D" if r else "." for r in ran).count("DD") == 0
    assert len(_seen(after, "detect", "conf")) == sum(ran)  # the detector itself ran only then


def test_smoothing_off_reaches_the_filter(change_live) -> None:
    before, after = change_live("smooth", False)
    assert _seen(before, "smooth", "min_cutoff")  # the filter ran on the first frame's persons
    assert _seen(after, "frame", "persons") and sum(_seen(after, "frame", "persons")) > 0
    assert _seen(after, "smooth", "min_cutoff") == []


def test_min_cutoff_reaches_the_filter(change_live) -> None:
    before, after = change_live("min_cutoff", 2.5)
    assert set(_seen(before, "smooth", "min_cutoff")) == {DEFAULTS.min_cutoff}
    assert _seen(after, "smooth", "min_cutoff") and set(_seen(after, "smooth", "min_cutoff")) == {2.5}


def test_beta_reaches_the_filter(change_live) -> None:
    before, after = change_live("beta", 0.3)
    assert set(_seen(before, "smooth", "beta")) == {DEFAULTS.beta}
    assert _seen(after, "smooth", "beta") and set(_seen(after, "smooth", "beta")) == {0.3}


@pytest.mark.parametrize("name, value", [("kpt_threshold", 0.9), ("show_boxes", True), ("show_ids", False)])
def test_display_settings_reach_the_drawing(change_live, name, value) -> None:
    before, after = change_live(name, value)
    assert set(_seen(before, "draw", name)) == {getattr(DEFAULTS, name)}
    assert _seen(after, "draw", name) and set(_seen(after, "draw", name)) == {value}


@pytest.mark.parametrize("name, value", [("kpt_threshold", 0.9), ("min_cutoff", 2.5)])
def test_settings_reach_both_panes_in_compare_mode(change_live, name, value) -> None:
    stage = "draw" if name == "kpt_threshold" else "smooth"
    before, after = change_live(name, value, compare=True)
    assert set(_seen(before, stage, name)) == {getattr(DEFAULTS, name)}
    assert _seen(after, stage, name) and set(_seen(after, stage, name)) == {value}
