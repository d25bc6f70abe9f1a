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


def keypoint_similarity(kp_a: np.ndarray, kp_b: np.ndarray, area, sigmas: np.ndarray | None = None) -> np.ndarray:
    """The COCO OKS term of each keypoint, ``exp(-d^2 / (2 s^2 (2 sigma)^2))`` with ``s^2`` the object
    ``area`` (px^2; under one pixel counts as one) and ``sigmas`` COCO's (default) or a layout's.

    ``kp_a`` and ``kp_b`` are ``... x K x 2`` poses that broadcast; ``area`` broadcasts over their
    leading axes (one per person). Returns ``... x K``. The one place the formula lives: the OKS of
    ``oks``, compare mode's agreement and the evaluation's OKS-NMS and per-joint table all use it."""
    d2 = ((np.asarray(kp_a, np.float64) - np.asarray(kp_b, np.float64)) ** 2).sum(-1)
    sig = COCO_SIGMAS[: d2.shape[-1]] if sigmas is None else np.asarray(sigmas, np.float64)
    s2 = np.maximum(np.asarray(area, np.float64), 1.0)[..., None]
    return np.exp(-d2 / (2 * s2 * (2 * sig) ** 2))


def oks(kp_a: np.ndarray, kp_b: np.ndarray, area: float, visible: np.ndarray | None = None,
        sigmas: np.ndarray | None = None) -> float:
    """Object keypoint similarity between two ``K x 2`` poses of one person: the mean of
    ``keypoint_similarity`` over the ``visible`` keypoints (all by default; 0.0 where none is).
    As ``pycocotools``' ``computeOks`` for a ground truth with labelled keypoints (``visible``)."""
    sim = keypoint_similarity(kp_a, kp_b, area, sigmas)
    vis = np.ones(sim.shape[-1], bool) if visible is None else np.asarray(visible, bool)
    return float(sim[vis].mean()) if vis.any() else 0.0
