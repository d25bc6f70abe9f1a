"""COCO keypoint evaluation (Lin et al. 2014; ``pycocotools.COCOeval(..., 'keypoints')``).

Post-processing of SimpleBaseline/HRNet ``lib/dataset/coco.py: evaluate``:
1. rescoring: person score = box score x mean of the keypoint scores above
   ``rescore_threshold`` (0.2; ``IN_VIS_THRE``);
2. OKS-NMS per image at ``oks_nms`` (0.9; ``OKS_THRE``), OKS scale = crop area;
3. ``COCOeval`` on the images of the annotation file.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np

from ..datasets.base import PersonSample
from .predict import Predictions

STAT_NAMES = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")


def rescore(kpt_scores: np.ndarray, box_scores: np.ndarray, threshold: float = 0.2) -> np.ndarray:
    """Box score x mean keypoint score over keypoints scoring above ``threshold``."""
    above = kpt_scores > threshold
    count = above.sum(1)
    mean = np.where(count > 0, (kpt_scores * above).sum(1) / np.maximum(count, 1), 0.0)
    # as in HRNet: no keypoint above the threshold -> mean 0 -> person score 0
    return (box_scores * mean).astype(np.float64)


def oks_matrix(kpts: np.ndarray, areas: np.ndarray, sigmas: np.ndarray, i: int, others: np.ndarray) -> np.ndarray:
    """OKS of person ``i`` with each of ``others`` (HRNet ``oks_iou``: mean area, all joints)."""
    var = (2 * sigmas) ** 2
    d2 = ((kpts[others] - kpts[i][None]) ** 2).sum(-1)
    e = d2 / var[None] / ((areas[i] + areas[others])[:, None] / 2 + np.spacing(1)) / 2
    return np.exp(-e).mean(1)


def oks_nms(kpts: np.ndarray, scores: np.ndarray, areas: np.ndarray, sigmas: np.ndarray, threshold: float = 0.9) -> list[int]:
    """Greedy NMS by OKS: keep the best-scoring pose, drop those with OKS > ``threshold``."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(int(i))
        if order.size == 1:
            break
        ovr = oks_matrix(kpts, areas, sigmas, i, order[1:])
        order = order[1:][ovr <= threshold]
    return keep


def coco_results(
    samples: list[PersonSample], preds: Predictions, sigmas: np.ndarray,
    rescore_threshold: float = 0.2, oks_threshold: float = 0.9,
) -> list[dict]:
    """COCO results JSON entries after rescoring and OKS-NMS."""
    box_scores = np.array([s.score for s in samples], np.float64)
    person_scores = rescore(preds.scores, box_scores, rescore_threshold)
    by_image: dict[object, list[int]] = {}
    for i, s in enumerate(samples):
        by_image.setdefault(s.image_id, []).append(i)
    results = []
    for image_id, idx in by_image.items():
        idx_arr = np.array(idx)
        keep = oks_nms(preds.keypoints[idx_arr], person_scores[idx_arr], preds.areas[idx_arr], sigmas, oks_threshold)
        for j in keep:
            i = idx[j]
            kp = np.concatenate([preds.keypoints[i], preds.scores[i][:, None]], 1)
            results.append({
                "image_id": image_id,
                "category_id": 1,
                "keypoints": [round(float(v), 3) for v in kp.reshape(-1)],
                "score": float(person_scores[i]),
            })
    return results


def coco_keypoint_eval(coco, results: list[dict], image_ids: list | None = None) -> tuple[dict[str, float], str]:
    """``(stats, COCOeval summary text)``; stats keyed by ``STAT_NAMES`` (0-1)."""
    from pycocotools.cocoeval import COCOeval

    if not results:
        return {k: 0.0 for k in STAT_NAMES}, "no predictions: every figure is 0\n"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        dt = coco.loadRes(results)
        ev = COCOeval(coco, dt, "keypoints")
        ev.params.useSegm = None
        if image_ids is not None:
            ev.params.imgIds = sorted(set(image_ids))
        ev.evaluate()
        ev.accumulate()
    summary = io.StringIO()
    with contextlib.redirect_stdout(summary):
        ev.summarize()
    stats = {name: float(v) for name, v in zip(STAT_NAMES, ev.stats)}
    return stats, summary.getvalue()
