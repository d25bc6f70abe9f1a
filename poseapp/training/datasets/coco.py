"""COCO keypoints (``person_keypoints_*.json``) through pycocotools.

Protocol of Xiao et al. (SimpleBaseline) / Sun et al. (HRNet), ``lib/dataset/coco.py``:
- ground-truth boxes: clipped to the image, persons with no labelled keypoint
  dropped (they carry no training signal and COCOeval ignores them), score 1;
- detection boxes (e.g. ``COCO_val2017_detections_AP_H_56_person.json``): every
  ``category_id == 1`` box of an image in the annotation file whose score is at
  least ``det_score_threshold`` (HRNet's ``IMAGE_THRE``, 0.0), with its score.
A joint is labelled when its visibility flag ``v > 0``.
"""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np

from ...errors import PoseappError
from ..layouts import COCO17
from .base import PersonSample, PoseSource, SourceSpec, read_json, register_source


def is_coco_keypoints(data: object) -> bool:
    """True for a COCO-style dict whose categories carry a keypoint list."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("images"), list)
        and isinstance(data.get("annotations"), list)
        and any(isinstance(c, dict) and c.get("keypoints") for c in data.get("categories", []))
    )


def load_coco(path: Path):
    """A pycocotools ``COCO`` for ``path``; one-line error when it is not COCO keypoints."""
    from pycocotools.coco import COCO

    data = read_json(path)
    if not is_coco_keypoints(data):
        raise PoseappError(
            f"{path} is not a COCO keypoints annotation file (needs 'images', 'annotations' and "
            "'categories' with 'keypoints')"
        )
    coco = COCO()
    coco.dataset = data
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def _gt_samples(coco, images: Path) -> list[PersonSample]:
    samples = []
    for img_id in sorted(coco.getImgIds()):
        info = coco.loadImgs(img_id)[0]
        width, height = info["width"], info["height"]
        for obj in coco.loadAnns(coco.getAnnIds(imgIds=img_id, iscrowd=False)):
            if obj.get("category_id", 1) != 1 or not obj.get("keypoints"):
                continue
            kps = np.asarray(obj["keypoints"], np.float32).reshape(-1, 3)
            if kps[:, 2].max() <= 0:
                continue
            x, y, w, h = obj["bbox"]
            x1, y1 = max(0.0, x), max(0.0, y)
            x2 = min(width - 1.0, x1 + max(0.0, w - 1))
            y2 = min(height - 1.0, y1 + max(0.0, h - 1))
            if obj.get("area", w * h) <= 0 or x2 < x1 or y2 < y1:
                continue
            samples.append(PersonSample(
                image=images / info["file_name"],
                image_id=img_id,
                box_xyxy=np.array([x1, y1, x2, y2], np.float32),
                joints=kps[:, :2].copy(),
                visible=(kps[:, 2] > 0).astype(np.float32),
                score=1.0,
                ann_id=obj.get("id"),
            ))
    return samples


def _det_samples(coco, images: Path, dets_path: Path, threshold: float) -> list[PersonSample]:
    if not dets_path.is_file():
        raise PoseappError(f"detection results file {dets_path} not found")
    dets = read_json(dets_path)
    if not isinstance(dets, list) or (dets and not all(isinstance(d, dict) and "bbox" in d and "image_id" in d for d in dets)):
        raise PoseappError(
            f"{dets_path} is not a COCO detection results file (a list of {{image_id, category_id, bbox, score}})"
        )
    k = COCO17.num_joints
    samples = []
    for d in dets:
        if d.get("category_id", 1) != 1 or d.get("score", 1.0) < threshold or d["image_id"] not in coco.imgs:
            continue
        x, y, w, h = (float(v) for v in d["bbox"])
        if w <= 0 or h <= 0:
            continue
        info = coco.imgs[d["image_id"]]
        samples.append(PersonSample(
            image=images / info["file_name"],
            image_id=d["image_id"],
            box_xyxy=np.array([x, y, x + w, y + h], np.float32),
            joints=np.zeros((k, 2), np.float32),
            visible=np.zeros(k, np.float32),
            score=float(d.get("score", 1.0)),
        ))
    samples.sort(key=lambda s: (s.image_id, -s.score))
    return samples


@register_source("coco")
def coco_source(spec: SourceSpec) -> PoseSource:
    """COCO keypoints: ground-truth boxes, or a detection-results JSON (``spec.boxes``)."""
    coco = load_coco(spec.ann)
    cat = next(c for c in coco.dataset["categories"] if c.get("keypoints"))
    if len(cat["keypoints"]) != COCO17.num_joints:
        raise PoseappError(
            f"{spec.ann} has {len(cat['keypoints'])} keypoints per person; the coco reader expects 17"
        )
    if spec.boxes == "gt":
        samples = _gt_samples(coco, spec.images)
    else:
        samples = _det_samples(coco, spec.images, Path(spec.boxes), spec.det_score_threshold)
    return PoseSource(name=spec.ann.stem, layout=COCO17, samples=samples, box_scale=1.25, extra={"coco": coco})
