"""Issue 14: one top-down estimator. ``poseapp eval`` and the ``Pipeline`` give the same keypoints for the
same boxes (coco-mini val ground-truth boxes, the shipped sfm), and the estimator's batching does not
change what it computes."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from poseapp.cli import main
from poseapp.detect.base import Detections
from poseapp.estimator import TopDownEstimator
from poseapp.pipeline import Pipeline, PipelineConfig
from poseapp.runtime import create_runner
from poseapp.training.datasets import SourceSpec, build_source
from poseapp.training.evaluation import evaluate as evaluate_module

MODEL = "sfm"
PERSONS = 30


@pytest.fixture(scope="module")
def coco_val(shared_data: Path):
    root = shared_data / "coco-mini"
    return root / "annotations/person_keypoints_val2017.json", root / "val2017"


class FixedBoxes:
    """A detector that finds exactly the boxes it is given for the image being processed."""

    name = "ground truth"

    def __init__(self) -> None:
        self.boxes = np.zeros((0, 4), np.float32)

    def __call__(self, frame_bgr: np.ndarray) -> Detections:
        return Detections(self.boxes.astype(np.float32), np.full(len(self.boxes), 0.9, np.float32))


def test_eval_and_pipeline_give_the_same_keypoints(coco_val, monkeypatch) -> None:
    ann, images = coco_val
    seen = {}

    def keep(source, preds, cfg=None):
        seen["preds"], seen["samples"] = preds, source.samples
        return real(source, preds, cfg)

    real = evaluate_module.evaluate_predictions
    monkeypatch.setattr(evaluate_module, "evaluate_predictions", keep)
    assert main(["eval", "--model", MODEL, "--backend", "torch", "--ann", str(ann), "--images", str(images),
                 "--limit", str(PERSONS), "-q"]) == 0
    samples, preds = seen["samples"], seen["preds"]
    assert len(samples) == PERSONS

    detector = FixedBoxes()
    # eval's protocol: flip test on, the checkpoint's decoder
    pipe = Pipeline(PipelineConfig(model=MODEL, backend="torch", flip_test=True, smooth=False), detector=detector)
    by_image: dict[Path, list[int]] = {}
    for i, s in enumerate(samples):
        by_image.setdefault(Path(s.image), []).append(i)
    worst = 0.0
    for path, idx in by_image.items():
        detector.boxes = np.stack([samples[i].box_xyxy for i in idx])
        pipe.reset()
        res = pipe.process(cv2.imread(str(path)), 0, 0.0)
        assert len(res.persons) == len(idx)
        got = res.persons
        for r in range(len(got)):  # the tracker may reorder persons: match them by their box
            i = next(i for i in idx if np.allclose(samples[i].box_xyxy, got.boxes[r]))
            worst = max(worst, float(np.abs(got.keypoints[r] - preds.keypoints[i]).max()))
            np.testing.assert_allclose(got.scores[r], preds.scores[i], atol=1e-5)
    print(f"\neval vs Pipeline on {PERSONS} coco-mini val persons: max keypoint difference {worst:.2e} px")
    assert worst <= 1e-4


def test_batching_across_images_changes_nothing(coco_val) -> None:
    """estimate_many (eval: persons of several images per pass) == estimate (the app: one image) on real crops."""
    ann, images = coco_val
    source = build_source(SourceSpec("coco", ann, images, limit=12))
    groups: dict[str, list] = {}
    for s in source.samples:
        groups.setdefault(str(s.image), []).append(s.box_xyxy)
    items = [(cv2.imread(p), np.stack(b)) for p, b in groups.items()]
    est = TopDownEstimator(create_runner(MODEL, "onnx"), flip_test=True, decoder="dark")
    together = list(est.estimate_many(items, batch_size=5))
    alone = [est.estimate(img, boxes) for img, boxes in items]
    assert len(together) == len(alone) == len(items)
    for a, b in zip(together, alone):
        np.testing.assert_allclose(a.keypoints, b.keypoints, atol=1e-3)
        np.testing.assert_allclose(a.areas, b.areas)
    empty = est.estimate(items[0][0], np.zeros((0, 4), np.float32))
    assert empty.keypoints.shape == (0, 17, 2) and empty.scores.shape == (0, 17)
