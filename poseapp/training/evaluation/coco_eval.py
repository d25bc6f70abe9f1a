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

from ...skeleton import keypoint_similarity
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
    """OKS of person ``i`` with each of ``others`` (HRNet ``oks_iou``: mean area of the two, all joints)."""
    return keypoint_similarity(kpts[others], kpts[i][None], (areas[i] + areas[others]) / 2, sigmas).mean(1)


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


def per_joint_oks(samples: list[PersonSample], preds: Predictions, coco, sigmas: np.ndarray,
                  names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Where the OKS is lost: per joint, over the persons that label it, against the same person's annotation.

    ``oks``: mean of the joint's OKS term (``poseapp.skeleton.keypoint_similarity``) with
    ``s^2`` the annotation's area (as COCOeval, before any matching);
    ``within_0.5``: the share of those joints whose term is at least 0.5;
    ``error``: the median distance in units of ``sqrt(area)``. Persons whose
    annotation has no area are skipped."""
    areas = np.array([float(coco.anns[s.ann_id].get("area", 0.0)) if s.ann_id in coco.anns else 0.0
                      for s in samples])
    gt = np.stack([s.joints for s in samples]).astype(np.float64)
    labelled = (np.stack([s.visible for s in samples]) > 0) & (areas > 0)[:, None]
    d2 = ((preds.keypoints.astype(np.float64) - gt) ** 2).sum(-1)
    term = keypoint_similarity(preds.keypoints, gt, areas, sigmas)
    err = np.sqrt(d2) / np.sqrt(np.maximum(areas, 1e-9))[:, None]
    out = {}
    for j, name in enumerate(names):
        m = labelled[:, j]
        if m.any():
            out[name] = {"persons": int(m.sum()), "oks": float(term[m, j].mean()),
                         "within_0.5": float((term[m, j] >= 0.5).mean()), "error": float(np.median(err[m, j]))}
    return out


def per_joint_table(table: dict[str, dict[str, float]]) -> str:
    lines = [f"{'joint':<16}{'persons':>8}{'mean OKS':>10}{'OKS>=0.5':>10}{'median error':>14}"]
    for name, r in table.items():
        lines.append(f"{name:<16}{r['persons']:>8}{r['oks']:>10.3f}{r['within_0.5']:>10.2f}{r['error']:>14.3f}")
    lines.append("(error: distance / sqrt(annotation area); the OKS term uses COCO's per-joint sigmas)")
    return "\n".join(lines)


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
