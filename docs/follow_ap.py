"""AP while following poses: how much the boxes taken from the previous poses (``--det-every K``) cost.

    python docs/follow_ap.py [--model sfm] [--steps 3] [--ann FILE.json --images DIR]

From the ground-truth boxes of coco17 val, the app's estimator runs on each image, then again on the boxes
``poseapp.pipeline.boxes_from_keypoints`` makes of its poses, ``--steps`` times (the same image each time: a
still scene, so the figure isolates the boxes from motion). Prints COCO AP at step 0 (ground-truth boxes)
and after each step. The figures are in ``poseapp/pipeline.py`` beside the constants they chose.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from poseapp.estimator import TopDownEstimator
from poseapp.pipeline import boxes_from_keypoints
from poseapp.training.datasets import SourceSpec, build_source
from poseapp.training.evaluation import Predictions, build_runner, evaluate_predictions


def follow_ap(model: str, ann: Path, images: Path, steps: int, weights: str | None = None, limit: int | None = None) -> list[float]:
    """COCO AP on the ground-truth boxes (first) and after each of ``steps`` steps of following."""
    source = build_source(SourceSpec("coco", ann, images, limit=limit))
    estimator = TopDownEstimator(build_runner(model, "torch", weights, 17, 2))
    by_image: dict[Path, list[int]] = {}
    for i, s in enumerate(source.samples):
        by_image.setdefault(Path(s.image), []).append(i)
    frames = {p: cv2.imread(str(p)) for p in by_image}
    boxes = {p: np.stack([source.samples[i].box_xyxy for i in idx]).astype(np.float32) for p, idx in by_image.items()}
    n, aps = len(source.samples), []
    for _ in range(steps + 1):
        kps, scores, areas = np.zeros((n, 17, 2), np.float32), np.zeros((n, 17), np.float32), np.zeros(n, np.float32)
        for path, idx in by_image.items():
            poses = estimator.estimate(frames[path], boxes[path])
            kps[idx], scores[idx], areas[idx] = poses.keypoints, poses.scores, poses.areas
            h, w = frames[path].shape[:2]
            b = boxes_from_keypoints(poses.keypoints, poses.scores, boxes[path])  # as Pipeline.process follows
            b[:, [0, 2]] = b[:, [0, 2]].clip(0, w - 1)
            b[:, [1, 3]] = b[:, [1, 3]].clip(0, h - 1)
            boxes[path] = b
        aps.append(float(evaluate_predictions(source, Predictions(kps, scores, areas)).metrics["AP"]))
    return aps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="sfm")
    ap.add_argument("--weights", default=None)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--ann", default="../shared/data/coco17/annotations/person_keypoints_val.json")
    ap.add_argument("--images", default="../shared/data/coco17/images")
    args = ap.parse_args()
    aps = follow_ap(args.model, Path(args.ann), Path(args.images), args.steps, args.weights)
    print(f"{args.model}: AP on the ground-truth boxes {aps[0]:.3f}; after following "
          + " / ".join(f"{a:.3f}" for a in aps[1:]) + f" ({args.steps} steps)")


if __name__ == "__main__":
    main()
