"""The one inference path: frame -> detections -> tracks -> crops -> heatmaps
-> keypoints -> smoothed poses. The GUI, ``annotate`` and ``bench`` all use it.

``Pipeline.process`` handles one frame and returns a ``FrameResult`` with the
persons as arrays (``poseapp.poses.Poses``: keypoints N x K x 2, scores N x K,
boxes N x 4, box scores and track ids N) and the milliseconds each stage took;
``Pipeline.render`` draws it.
Boxes to keypoints is ``poseapp.estimator.TopDownEstimator``, the code ``poseapp
eval`` scores; its decoder and flip test come from the checkpoint's ``RunSpec``
unless ``PipelineConfig.decoder`` / ``flip_test`` say otherwise.

``PipelineConfig`` is a ``poseapp.settings.Settings`` (the user's settings, declared
once) plus what only code sets. The stages read it on every frame: the detector's
threshold, the detection cadence, the One Euro filter and the drawing all follow a
value changed between frames (the desktop app changes them live).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

# the defaults live in the torch-free poseapp.defaults (the parser reads them); re-exported here
from .defaults import DEFAULT_BACKEND, DEFAULT_MODEL, FALLBACK_MODEL, default_model  # noqa: F401
from .detect import Detections, create_detector
from .draw import draw_overlay, draw_poses
from .estimator import TopDownEstimator
from .poses import Poses
from .runtime import create_runner
from .settings import Settings
from .track import PoseSmoother, Tracker, TrackerConfig


@dataclass
class PipelineConfig(Settings):
    """The settings (model, backend, detector, det_conf, det_every, decoder, flip_test, smooth, min_cutoff,
    beta, kpt_threshold, show_boxes, show_ids...: see ``poseapp.settings``) and what only code sets."""

    weights: str | None = None
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    max_batch: int = 32
    threads: int = 0
    allow_untrained: bool = False  # a network without trained weights runs with random ones (else WeightsError)


@dataclass
class FrameResult:
    index: int
    time_s: float
    persons: Poses  # the frame's persons as arrays
    timings_ms: dict[str, float]
    detected: bool  # the detector ran on this frame (else boxes came from the previous poses)

    @property
    def pose_ms(self) -> float:
        t = self.timings_ms
        return t.get("crop", 0.0) + t.get("pose", 0.0) + t.get("decode", 0.0)


# Following poses between detections (det_every > 1): a person's box from the extent of its keypoints scored
# at least FOLLOW_MIN_SCORE, padded by FOLLOW_PAD (left, top, right, bottom; fractions of the extent) to look
# like a detector's (COCO) box, which is what the crop scale was chosen on. The pads are the medians of COCO's
# box against its labelled joints' extent (coco17 train, persons with 12+ joints: 0.13 / 0.12 / 0.15 / 0.09;
# left and right averaged to 0.14 so that a mirrored person gets the mirrored box).
# Measured by docs/follow_ap.py (coco17 val, AP after 1 / 2 / 3 steps of following on the same image, from the
# ground-truth boxes): sfm 0.252 / 0.243 / 0.238 with the earlier pad 0.15 (+0.1 above) over joints >= the
# display threshold 0.3, 0.275 / 0.268 / 0.269 with these; lpn50 0.224 / 0.222 / 0.215 -> 0.245 / 0.232 / 0.233.
FOLLOW_MIN_SCORE = 0.1
FOLLOW_PAD = (0.14, 0.12, 0.14, 0.09)


def boxes_from_keypoints(kps: np.ndarray, scores: np.ndarray, fallback: np.ndarray,
                         thr: float = FOLLOW_MIN_SCORE, pad: tuple[float, float, float, float] = FOLLOW_PAD) -> np.ndarray:
    """Person boxes (N x 4) from the extent of each person's keypoints scored at least ``thr``, padded by
    ``pad`` (left, top, right, bottom, fractions of the extent); ``fallback`` for persons with fewer than 3."""
    ok = scores >= thr  # N x K
    lo = np.where(ok[..., None], kps, np.inf).min(1)  # N x 2
    hi = np.where(ok[..., None], kps, -np.inf).max(1)
    size = hi - lo
    l, t, r, b = pad
    boxes = np.concatenate([lo - [l, t] * size, hi + [r, b] * size], 1)
    return np.where((ok.sum(1) >= 3)[:, None], boxes, fallback).astype(fallback.dtype)


class Pipeline:
    def __init__(self, config: PipelineConfig | None = None, detector=None, runner=None) -> None:
        self.config = config or PipelineConfig()
        c = self.config
        self.detector = detector if detector is not None else create_detector(c.detector, conf=c.det_conf)
        self.runner = runner if runner is not None else create_runner(c.model, c.backend, c.weights, c.threads,
                                                                      allow_untrained=c.allow_untrained)
        self.estimator = self._estimator(self.runner)
        self.tracker = Tracker(c.tracker)
        self.smoother = PoseSmoother(c)  # reads min_cutoff, beta and d_cutoff from the config on every call
        self._frames_seen = 0
        self._last: FrameResult | None = None

    # ---- configuration changes (take effect on the next frame) ----
    def _estimator(self, runner) -> TopDownEstimator:
        c = self.config
        return TopDownEstimator(runner, decoder=c.decoder, flip_test=c.flip_test, max_batch=c.max_batch)

    def set_runner(self, runner) -> None:
        self.runner = runner
        self.estimator = self._estimator(runner)
        self.config.model, self.config.backend = runner.name, runner.backend

    def set_model(self, model: str, backend: str, weights: str | None = None) -> None:
        self.set_runner(create_runner(model, backend, weights, self.config.threads,
                                      allow_untrained=self.config.allow_untrained))
        self.config.weights = weights

    def reset(self) -> None:
        """Forget tracks and filter state (a new video or a seek)."""
        self.tracker.reset()
        self.smoother.reset()
        self._frames_seen = 0
        self._last = None

    # ---- stages ----
    def estimate(self, frame_bgr: np.ndarray, boxes_xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
        """Keypoints (N x K x 2, image px), scores (N x K) and crop/pose/decode ms for boxes in one frame."""
        poses = self.estimator.estimate(frame_bgr, boxes_xyxy)
        return poses.keypoints, poses.scores, poses.timings_ms

    def process(self, frame_bgr: np.ndarray, index: int, time_s: float) -> FrameResult:
        c = self.config
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        if getattr(self.detector, "conf", c.det_conf) != c.det_conf:
            self.detector.conf = c.det_conf  # a threshold changed since the last frame
        detect_now = self._last is None or not self._last.persons or self._frames_seen % max(1, c.det_every) == 0
        if detect_now:
            dets = self.detector(frame_bgr)
        else:
            prev = self._last.persons
            dets = Detections(boxes_from_keypoints(prev.keypoints, prev.scores, prev.boxes),
                              prev.box_scores.copy())
            h, w = frame_bgr.shape[:2]
            dets.xyxy[:, [0, 2]] = dets.xyxy[:, [0, 2]].clip(0, w - 1)
            dets.xyxy[:, [1, 3]] = dets.xyxy[:, [1, 3]].clip(0, h - 1)
        t1 = time.perf_counter()
        tracked = self.tracker(dets)
        t2 = time.perf_counter()
        kps, scores, pose_t = self.estimate(frame_bgr, tracked.xyxy)
        t3 = time.perf_counter()
        if c.smooth:
            self.smoother.drop(self.tracker.ended)
            kps = self.smoother.smooth(tracked.ids, time_s, kps)
        t4 = time.perf_counter()
        timings.update(detect=(t1 - t0) * 1e3, track=(t2 - t1) * 1e3, **pose_t, smooth=(t4 - t3) * 1e3)
        persons = Poses(kps, scores, tracked.xyxy, tracked.conf, tracked.ids)
        self._frames_seen += 1
        self._last = FrameResult(index, time_s, persons, timings, detect_now)
        return self._last

    def render(self, frame_bgr: np.ndarray, result: FrameResult, overlay: list[str] | None = None) -> np.ndarray:
        """Draw ``result`` onto ``frame_bgr`` in place (adds a 'draw' timing)."""
        t0 = time.perf_counter()
        draw_poses(frame_bgr, result.persons, self.config)
        if overlay:
            draw_overlay(frame_bgr, overlay)
        result.timings_ms["draw"] = (time.perf_counter() - t0) * 1e3
        return frame_bgr

    def describe(self) -> dict:
        e = self.estimator
        return {"model": self.runner.name, "backend": self.runner.backend, "detector": getattr(self.detector, "name", "?"),
                "input_hw": list(e.spec.input_hw), "decoder": e.decoder, "flip_test": e.flip_test}
