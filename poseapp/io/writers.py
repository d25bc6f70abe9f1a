"""Sinks that write results to disk: annotated video, keypoints JSON and CSV.

Every writer writes to a temporary name beside the target and renames it on
``close()``; ``abort()`` removes the partial file, so an interrupted run never
leaves a half-written file that looks complete.
"""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import cv2
import numpy as np

from ..errors import PoseappError
from ..skeleton import COCO_KEYPOINTS


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.stem}.partial{path.suffix}")


class VideoWriter:
    def __init__(self, path: str | os.PathLike, fps: float, size_wh: tuple[int, int]) -> None:
        self.path = Path(path)
        self.tmp = _partial(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.size = size_wh
        self.writer = cv2.VideoWriter(str(self.tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, size_wh)
        if not self.writer.isOpened():
            raise PoseappError(f"cannot write video {self.path}: check the folder is writable")

    def write(self, frame: np.ndarray) -> None:
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = cv2.resize(frame, self.size)
        self.writer.write(frame)

    def close(self) -> Path:
        self.writer.release()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        self.writer.release()
        self.tmp.unlink(missing_ok=True)


class KeypointsJsonWriter:
    """``{"video", "fps", "model", "backend", "frames": [{"frame", "time_s", "persons": [...]}]}``.

    Keypoints are ``[x1, y1, s1, ... x17, y17, s17]`` in COCO order and pixels of
    the original frame; ``s`` is the keypoint score (0-1), as in COCO results.
    """

    def __init__(self, path: str | os.PathLike, header: dict) -> None:
        self.path = Path(path)
        self.tmp = _partial(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.header = dict(header)
        self.header.setdefault("keypoint_names", list(COCO_KEYPOINTS))
        self.frames: list[dict] = []

    def write(self, frame_index: int, time_s: float, persons: list) -> None:
        self.frames.append({"frame": int(frame_index), "time_s": round(float(time_s), 4), "persons": [p.to_json() for p in persons]})

    def close(self) -> Path:
        with open(self.tmp, "w", encoding="utf-8") as f:
            json.dump({**self.header, "frames": self.frames}, f, separators=(",", ":"))
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        self.tmp.unlink(missing_ok=True)


class KeypointsCsvWriter:
    """One row per frame x person x keypoint."""

    COLUMNS = ("frame", "time_s", "track_id", "keypoint", "name", "x", "y", "score")

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.tmp = _partial(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(self.tmp, "w", newline="", encoding="utf-8")
        self._w = csv.writer(self._f)
        self._w.writerow(self.COLUMNS)

    def write(self, frame_index: int, time_s: float, persons: list) -> None:
        for p in persons:
            for j in range(p.keypoints.shape[0]):
                name = COCO_KEYPOINTS[j] if j < len(COCO_KEYPOINTS) else str(j)
                self._w.writerow((frame_index, f"{time_s:.4f}", p.track_id, j, name,
                                  f"{p.keypoints[j, 0]:.2f}", f"{p.keypoints[j, 1]:.2f}", f"{p.kpt_scores[j]:.4f}"))

    def close(self) -> Path:
        self._f.close()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        self._f.close()
        self.tmp.unlink(missing_ok=True)
