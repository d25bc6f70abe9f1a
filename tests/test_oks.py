"""The one OKS formula (``poseapp.skeleton``) against pycocotools' on real COCO persons."""
from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from poseapp.skeleton import COCO_SIGMAS, keypoint_similarity, oks
from poseapp.training.evaluation.coco_eval import oks_matrix


def test_keypoint_similarity_mean_is_oks_and_broadcasts() -> None:
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 200, (17, 2))
    b = a + rng.normal(0, 6, (17, 2))
    area = 150.0 * 300.0
    assert keypoint_similarity(a, b, area).mean() == pytest.approx(oks(a, b, area))
    assert keypoint_similarity(a, a, area) == pytest.approx(np.ones(17))
    # N persons at once, one area each, equal to one at a time
    many_a, many_b, areas = rng.uniform(0, 200, (4, 17, 2)), rng.uniform(0, 200, (4, 17, 2)), rng.uniform(1e3, 1e4, 4)
    rows = [keypoint_similarity(many_a[i], many_b[i], areas[i]) for i in range(4)]
    np.testing.assert_allclose(keypoint_similarity(many_a, many_b, areas), np.stack(rows))
    # the evaluation's OKS-NMS (HRNet oks_iou: the mean area of the two) is the same formula
    got = oks_matrix(many_a, areas, COCO_SIGMAS, 0, np.array([1, 2, 3]))
    want = [oks(many_a[j], many_a[0], (areas[0] + areas[j]) / 2) for j in (1, 2, 3)]
    np.testing.assert_allclose(got, want)


def test_oks_matches_pycocotools_on_coco_persons(shared_data) -> None:
    """Noisy copies of the coco-mini val persons scored by ``COCOeval.computeOks`` and by ``oks``
    (ground truth's area as the scale, over its labelled keypoints), every detection against every person."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(shared_data / "coco-mini" / "annotations" / "person_keypoints_val2017.json"))
    rng = np.random.default_rng(1)
    images = [i for i in sorted(gt.getImgIds())
              if len(gt.getAnnIds(imgIds=i, iscrowd=False)) >= 2
              and all(a["num_keypoints"] > 0 for a in gt.loadAnns(gt.getAnnIds(imgIds=i)))][:4]
    assert len(images) >= 2
    dets, best = [], 0.0
    for img in images:
        for n, a in enumerate(gt.loadAnns(gt.getAnnIds(imgIds=img))):
            k = np.array(a["keypoints"], np.float64).reshape(17, 3)
            k[:, :2] += rng.normal(0, 0.05 * np.sqrt(a["area"]), (17, 2))
            k[:, 2] = 1.0
            dets.append({"image_id": img, "category_id": 1, "keypoints": k.reshape(-1).tolist(), "score": 1.0 - 0.01 * n})
    with contextlib.redirect_stdout(io.StringIO()):
        ev = COCOeval(gt, gt.loadRes(dets), "keypoints")
        ev.params.imgIds = images
        ev.evaluate()
    checked = 0
    for img in images:
        anns = gt.loadAnns(gt.getAnnIds(imgIds=img))
        mine = [d for d in dets if d["image_id"] == img]  # computeOks orders them by score: already so
        ref = ev.ious[(img, 1)]
        assert ref.shape == (len(mine), len(anns))
        for d, det in enumerate(mine):
            dk = np.array(det["keypoints"]).reshape(17, 3)[:, :2]
            for g, a in enumerate(anns):
                gk = np.array(a["keypoints"], np.float64).reshape(17, 3)
                assert oks(dk, gk[:, :2], a["area"], gk[:, 2] > 0) == pytest.approx(ref[d, g], abs=1e-9)
                checked += 1
                best = max(best, ref[d, g])
    assert checked >= 8 and best > 0.5  # the noisy copy of a person scores high against it
