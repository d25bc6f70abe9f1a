"""Track ids: ultralytics' ByteTrack over our detections.

ByteTrack (Kalman motion + two-stage IoU association) is ultralytics' own
implementation, used for every detector so ids behave the same whichever one
runs. Ids are small sequential integers, starting at 1 for each video.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..detect.base import Detections


@dataclass
class TrackerConfig:
    track_high_thresh: float = 0.25
    track_low_thresh: float = 0.1
    new_track_thresh: float = 0.25
    track_buffer: int = 30
    match_thresh: float = 0.8
    fuse_score: bool = False  # our ONNX detectors score people low: do not let the score veto an IoU match


@dataclass
class Tracked:
    """Tracked persons of one frame: boxes (N x 4 xyxy), scores (N), ids (N)."""

    xyxy: np.ndarray
    conf: np.ndarray
    ids: np.ndarray

    def __len__(self) -> int:
        return int(self.ids.shape[0])


class Tracker:
    def __init__(self, config: TrackerConfig | None = None) -> None:
        from types import SimpleNamespace

        from ultralytics.trackers.byte_tracker import BYTETracker

        self.config = config or TrackerConfig()
        self._tracker = BYTETracker(SimpleNamespace(**vars(self.config)))
        self.ended: set[int] = set()

    def __call__(self, dets: Detections) -> Tracked:
        before = {t.track_id for t in self._tracker.tracked_stracks + self._tracker.lost_stracks}
        out = self._tracker.update(dets)
        alive = {t.track_id for t in self._tracker.tracked_stracks + self._tracker.lost_stracks}
        self.ended = before - alive
        if len(out) == 0:
            return Tracked(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))
        # report the detector's box (not the Kalman box) for the matched detection
        idx = out[:, 7].astype(np.int64)
        return Tracked(dets.xyxy[idx].copy(), dets.conf[idx].copy(), out[:, 4].astype(np.int64))

    def reset(self) -> None:
        self._tracker.reset()
        self._tracker.reset_id()
        self.ended = set()
