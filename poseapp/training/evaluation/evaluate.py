"""Evaluate predictions of a source with its benchmark: COCO AP or MPII PCKh.

``evaluate_predictions`` is what both ``poseapp eval`` and the trainer's
validation call after ``predict``; feeding it the ground truth is how the
evaluator itself is tested (AP 1.0, PCKh 100%).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..config import EvalConfig
from ..datasets.base import PoseSource
from .coco_eval import coco_keypoint_eval, coco_results, per_joint_oks
from .pckh import pckh
from .predict import Predictions, predict


@dataclass
class EvalResult:
    benchmark: str  # "coco" or "mpii"
    primary_name: str  # "AP" or "PCKh@0.5"
    primary: float  # 0-1 (AP) / 0-1 (PCKh@0.5 mean / 100): the figure "best" is chosen by
    metrics: dict = field(default_factory=dict)
    table: str = ""
    persons: int = 0

    def line(self) -> str:
        if self.benchmark == "coco":
            m = self.metrics
            return (f"AP {m['AP']:.3f}  AP50 {m['AP50']:.3f}  AP75 {m['AP75']:.3f}  APm {m['APm']:.3f}  "
                    f"APl {m['APl']:.3f}  AR {m['AR']:.3f}  ({self.persons} persons)")
        m = self.metrics
        return f"PCKh@0.5 {m['PCKh@0.5']['mean']:.2f}  PCKh@0.1 {m['PCKh@0.1']['mean']:.2f}  ({self.persons} persons)"


def ground_truth_predictions(source: PoseSource) -> Predictions:
    """The annotations as if a network had predicted them (score 1 per joint)."""
    kps = np.stack([s.joints for s in source.samples]).astype(np.float32)
    scores = np.ones(kps.shape[:2], np.float32)
    boxes = np.stack([s.box_xyxy for s in source.samples])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) * source.box_scale**2
    return Predictions(kps, scores, areas.astype(np.float32))


def evaluate_predictions(source: PoseSource, preds: Predictions, cfg: EvalConfig | None = None) -> EvalResult:
    cfg = cfg or EvalConfig()
    n = len(source.samples)
    if source.layout.name == "mpii" or "coco" not in source.extra:
        gt = np.stack([s.joints for s in source.samples])
        vis = np.stack([s.visible for s in source.samples])
        head = np.array([np.nan if s.head_size is None else s.head_size for s in source.samples])
        res = pckh(preds.keypoints, gt, vis, head)
        metrics = res.to_dict()
        metrics["head_size_from"] = source.extra.get("head_source", "")
        return EvalResult("mpii", "PCKh@0.5", res.mean(0.5) / 100.0, metrics, res.table(), n)
    sigmas = np.asarray(source.layout.sigmas, np.float64)
    results = coco_results(source.samples, preds, sigmas, cfg.rescore_threshold, cfg.oks_nms)
    image_ids = [s.image_id for s in source.samples] if source.extra.get("limited") else None
    stats, text = coco_keypoint_eval(source.extra["coco"], results, image_ids)
    metrics = dict(stats)
    metrics["per_joint"] = per_joint_oks(source.samples, preds, source.extra["coco"], sigmas, source.layout.names)
    return EvalResult("coco", "AP", stats["AP"], metrics, text, n)


def evaluate_source(runner, source: PoseSource, cfg: EvalConfig | None = None, workers: int = 4,
                    progress: bool = False) -> EvalResult:
    """Predict every person of ``source`` with ``runner`` and score the result."""
    cfg = cfg or EvalConfig()
    preds = predict(runner, source.samples, source.layout, box_scale=cfg.box_scale, flip_test=cfg.flip_test,
                    decoder=cfg.decoder, batch_size=cfg.batch_size, workers=workers, progress=progress)
    return evaluate_predictions(source, preds, cfg)
