"""The MoveNet teacher and LSP-extended as COCO keypoints (training-time data)."""
import csv
import json

import cv2
import numpy as np
import pytest

pytest.importorskip("ai_edge_litert", reason="teacher extra not installed: pip install 'poseapp[teacher]'")

from poseapp.training.lsp import COCO_FROM_LSP, build_lsp_coco, read_lsp_joints, to_coco_keypoints  # noqa: E402
from poseapp.training.teacher import MoveNetTeacher  # noqa: E402


@pytest.fixture(scope="module")
def teacher(shared_data):
    return MoveNetTeacher(shared_data / "teachers" / "movenet_singlepose_lightning_int8.tflite")


def test_teacher_matches_its_reference_output(shared_data, teacher) -> None:
    img = cv2.imread(str(shared_data / "teachers" / "squat.bmp"))
    out = teacher.run(cv2.resize(img, (192, 192), interpolation=cv2.INTER_AREA)[..., ::-1])
    with open(shared_data / "teachers" / "movenet_singlepose_lightning_int8_reference.csv") as f:
        ref = {int(r["keypoint_id"]): r for r in csv.DictReader(f)}
    for k, r in ref.items():  # positions agree; int8 scores move with the resize filter
        assert abs(out[k, 0] - float(r["keypoint_y"])) < 0.03 and abs(out[k, 1] - float(r["keypoint_x"])) < 0.03
    assert abs(out[:, 2].mean() - np.mean([float(r["keypoint_score"]) for r in ref.values()])) < 0.15


def test_lsp_mapping_is_the_persons_own_side() -> None:
    j = np.zeros((14, 3))
    j[:, 0] = np.arange(14) * 10  # x encodes the LSP index
    j[:, 1] = 5
    j[:, 2] = 1
    kps = to_coco_keypoints(j)
    assert kps[5, 0] == 90 and kps[6, 0] == 80  # left shoulder <- LSP 9, right shoulder <- LSP 8
    assert kps[15, 0] == 50 and kps[16, 0] == 0  # left ankle <- LSP 5, right ankle <- LSP 0
    assert (kps[:5] == 0).all() and len(COCO_FROM_LSP) == 12


def test_build_lsp_coco_subset(shared_data, teacher, tmp_path) -> None:
    root = shared_data / "lsp-extended"
    assert read_lsp_joints(root).shape == (6000, 14, 3)
    train, val = build_lsp_coco(root, tmp_path, teacher=teacher, progress=False,
                                numbers=list(range(1, 21)) + list(range(5501, 5506)))
    tr, va = json.loads(train.read_text()), json.loads(val.read_text())
    assert len(tr["images"]) == 20 and len(va["images"]) == 5
    assert all(a["image_id"] >= 5501 for a in va["annotations"])
    # validation keeps only the labelled limb joints; training gets pseudo-labelled faces
    assert all(np.array(a["keypoints"]).reshape(17, 3)[:5, 2].max() == 0 for a in va["annotations"])
    faces = [np.array(a["keypoints"]).reshape(17, 3)[:5] for a in tr["annotations"] if a["pseudo"]]
    assert len(faces) >= 10
    # a pseudo-labelled nose lies at the head: near LSP's own head-top / neck labels
    joints = read_lsp_joints(root)
    near = []
    for a in tr["annotations"]:
        k = np.array(a["keypoints"]).reshape(17, 3)
        top, neck = joints[a["image_id"] - 1, 13, :2], joints[a["image_id"] - 1, 12, :2]
        if k[0, 2] > 0 and (top >= 0).all() and (neck >= 0).all():
            near.append(np.linalg.norm(k[0, :2] - (top + neck) / 2) < 1.5 * np.linalg.norm(top - neck) + 3)
    assert len(near) >= 10 and np.mean(near) >= 0.9
    from pycocotools.coco import COCO

    COCO(str(val))  # loads as a COCO keypoint file
