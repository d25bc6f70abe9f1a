"""The MoveNet teacher and LSP-extended as COCO keypoints (training-time data)."""
import csv
import json

import cv2
import numpy as np
import pytest

pytest.importorskip("ai_edge_litert", reason="teacher extra not installed: pip install 'poseapp[teacher]'")

from poseapp.training.lsp import COCO_FROM_LSP, build_lsp_coco, read_lsp_joints, to_coco_keypoints  # noqa: E402
from poseapp.training.teacher import LightningTeacher  # noqa: E402


@pytest.fixture(scope="module")
def teacher(shared_data):
    return LightningTeacher(shared_data / "teachers" / "movenet_singlepose_lightning_int8.tflite")


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


def test_eval_teacher_on_coco_mini_val(shared_data, tmp_path, capsys) -> None:
    """The teacher scored with the networks' boxes and COCOeval (its MANIFEST figure: mean OKS 0.56)."""
    from poseapp.cli import main

    root = shared_data / "coco-mini"
    out = tmp_path / "teacher.json"
    assert main(["eval", "--teacher", str(shared_data / "teachers" / "movenet_singlepose_lightning_int8.tflite"),
                 "--ann", str(root / "annotations/person_keypoints_val2017.json"), "--images", str(root / "val2017"),
                 "--json", str(out), "-q"]) == 0
    m = json.loads(out.read_text())["metrics"]
    assert 0.25 < m["AP"] < 0.40 and m["AP50"] > m["AP"]
    assert "teacher lightning (movenet_singlepose_lightning_int8.tflite" in capsys.readouterr().out


def test_prepare_lsp_command(shared_data, tmp_path, capsys) -> None:
    from poseapp.cli import main

    assert main(["prepare-lsp", "--lsp", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "joints.mat" in err
    assert main(["prepare-lsp", "--lsp", str(shared_data / "lsp-extended"), "--out", str(tmp_path / "o"),
                 "--teacher", "", "-q"]) == 0  # without the teacher: no face joints, about 10 s
    train = json.loads((tmp_path / "o" / "lsp_train.json").read_text())
    val = json.loads((tmp_path / "o" / "lsp_val.json").read_text())
    assert len(train["annotations"]) + len(val["annotations"]) > 5900 and len(val["images"]) <= 500
    assert not any(a["pseudo"] for a in train["annotations"])
