"""Evaluation: top-down inference with the app's estimator and runtime, COCO AP and MPII PCKh.

Runners come from ``poseapp.runtime.create_runner`` (``build_runner`` is it, in the
argument order ``poseapp eval`` uses) and ``DeviceRunner`` (the network being trained).
"""
from __future__ import annotations

from pathlib import Path

from .coco_eval import STAT_NAMES, coco_keypoint_eval, coco_results, oks_nms, rescore
from .evaluate import EvalResult, evaluate_predictions, evaluate_source, ground_truth_predictions
from .pckh import PCKhResult, pckh
from .predict import Predictions, predict
from ...runtime.runners import DeviceRunner, create_runner

__all__ = [
    "STAT_NAMES", "DeviceRunner", "EvalResult", "PCKhResult", "Predictions", "build_runner", "coco_keypoint_eval",
    "coco_results", "evaluate_predictions", "evaluate_source", "ground_truth_predictions",
    "oks_nms", "pckh", "predict", "rescore",
]


def build_runner(model: str, backend: str = "torch", weights: str | Path | None = None, num_joints: int = 17,
                 threads: int = 0, allow_untrained: bool = False):
    """``create_runner`` for a network predicting ``num_joints`` joints (what the annotation file needs)."""
    return create_runner(model, backend, weights, threads, allow_untrained=allow_untrained, num_joints=num_joints)
