"""Evaluation: top-down inference with the app's runtime, COCO AP and MPII PCKh."""
from .coco_eval import STAT_NAMES, coco_keypoint_eval, coco_results, oks_nms, rescore
from .evaluate import EvalResult, evaluate_predictions, evaluate_source, ground_truth_predictions
from .pckh import PCKhResult, pckh
from .predict import Predictions, heatmaps_to_image, predict, run_heatmaps
from .runner import DeviceRunner, build_runner

__all__ = [
    "STAT_NAMES", "DeviceRunner", "EvalResult", "PCKhResult", "Predictions", "build_runner", "coco_keypoint_eval",
    "coco_results", "evaluate_predictions", "evaluate_source", "ground_truth_predictions", "heatmaps_to_image",
    "oks_nms", "pckh", "predict", "rescore", "run_heatmaps",
]
