"""The detector interface: ``detector(frame_bgr) -> Detections`` (persons only)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass
class Detections:
    """Person boxes of one frame: ``xyxy`` (N x 4, image pixels) and ``conf`` (N)."""

    xyxy: np.ndarray
    conf: np.ndarray

    @classmethod
    def empty(cls) -> "Detections":
        return cls(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32))

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def __getitem__(self, index) -> "Detections":
        return Detections(self.xyxy[index].reshape(-1, 4), self.conf[index].reshape(-1))

    # the attributes ultralytics' trackers read
    @property
    def xywh(self) -> np.ndarray:
        """Centre x, centre y, width, height."""
        b = self.xyxy
        return np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], 1)

    @property
    def cls(self) -> np.ndarray:
        return np.zeros(len(self), np.float32)


class Detector(Protocol):
    name: str

    def __call__(self, frame_bgr: np.ndarray) -> Detections: ...
