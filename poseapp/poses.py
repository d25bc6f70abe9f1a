"""``Poses``: the persons of one frame as arrays, from the pipeline through drawing and the writers.

One row per person: keypoints ``N x K x 2`` (image pixels), keypoint scores
``N x K``, boxes ``N x 4`` (xyxy pixels), box scores ``N`` and track ids ``N``.
Nothing stores a list of per-person objects; the JSON rows the writers need are
generated from the arrays (``to_json``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Poses:
    """Structure of arrays for the persons of one frame (see the module docstring)."""

    keypoints: np.ndarray  # N x K x 2 float32, image pixels
    scores: np.ndarray  # N x K float32, keypoint scores (0-1)
    boxes: np.ndarray  # N x 4 float32, xyxy image pixels
    box_scores: np.ndarray  # N float32, detector confidence
    track_ids: np.ndarray  # N int64

    def __post_init__(self) -> None:
        kps = np.asarray(self.keypoints, np.float32)
        if kps.ndim != 3 or kps.shape[2] != 2:
            raise ValueError(f"keypoints must be N x K x 2, got shape {kps.shape}")
        n, k = kps.shape[:2]
        fields = {
            "keypoints": kps,
            "scores": _shaped(self.scores, np.float32, (n, k), "scores"),
            "boxes": _shaped(self.boxes, np.float32, (n, 4), "boxes"),
            "box_scores": _shaped(self.box_scores, np.float32, (n,), "box_scores"),
            "track_ids": _shaped(self.track_ids, np.int64, (n,), "track_ids"),
        }
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    @classmethod
    def empty(cls, num_keypoints: int = 17) -> Poses:
        k = int(num_keypoints)
        return cls(np.zeros((0, k, 2)), np.zeros((0, k)), np.zeros((0, 4)), np.zeros(0), np.zeros(0))

    def __len__(self) -> int:
        return int(self.keypoints.shape[0])

    @property
    def num_keypoints(self) -> int:
        return int(self.keypoints.shape[1])

    def __getitem__(self, index) -> Poses:
        """The persons a slice, an index array or a boolean mask selects (always a ``Poses``)."""
        if isinstance(index, (int, np.integer)):
            raise TypeError("index Poses with a slice, an index array or a mask (poses[[i]] for one person); "
                            "read one person's values from the arrays (poses.keypoints[i])")
        return Poses(self.keypoints[index], self.scores[index], self.boxes[index], self.box_scores[index],
                     self.track_ids[index])

    def to_json(self) -> list[dict]:
        """One dict per person: ``track_id``, ``box`` ``[x, y, w, h]``, ``score`` and ``keypoints``
        ``[x1, y1, s1, ...]`` (COCO results order), rounded to 2, 4 and 3 decimals."""
        flat = np.concatenate([self.keypoints, self.scores[..., None]], 2).reshape(len(self), 3 * self.num_keypoints).tolist()
        rows = []
        for tid, (x1, y1, x2, y2), score, kps in zip(self.track_ids.tolist(), self.boxes.tolist(),
                                                     self.box_scores.tolist(), flat):
            rows.append({
                "track_id": tid,
                "box": [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)],
                "score": round(score, 4),
                "keypoints": [round(v, 3) for v in kps],
            })
        return rows


def _shaped(value, dtype, shape: tuple[int, ...], name: str) -> np.ndarray:
    a = np.asarray(value, dtype)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape} to match the keypoints, got {a.shape}")
    return a
