"""COCO-17 keypoint names, limbs and OKS sigmas."""
from __future__ import annotations

import numpy as np

COCO_KEYPOINTS: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)

COCO_SKELETON: tuple[tuple[int, int], ...] = (
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6),
    (5, 7), (6, 8), (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6),
)

COCO_SIGMAS = np.array(
    [0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89]
) / 10.0


def oks(kp_a: np.ndarray, kp_b: np.ndarray, area: float, visible: np.ndarray | None = None) -> float:
    """Object keypoint similarity between two ``K x 2`` poses of one person (COCO formula)."""
    d2 = ((np.asarray(kp_a, np.float64) - np.asarray(kp_b, np.float64)) ** 2).sum(-1)
    e = d2 / (2 * (2 * COCO_SIGMAS[: d2.shape[0]]) ** 2 * max(area, 1.0))
    vis = np.ones(d2.shape[0], bool) if visible is None else np.asarray(visible, bool)
    return float(np.exp(-e)[vis].mean()) if vis.any() else 0.0
