"""The Thunder teacher, its per-person cache, and teacher-filled / distillation targets."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from poseapp.cli import main
from poseapp.training.augment import random_params
from poseapp.training.config import AugmentConfig, TeacherConfig
from poseapp.training.datasets import SourceSpec, build_source
from poseapp.training.datasets.topdown import TopDownDataset
from poseapp.training.layouts import COCO17
from poseapp.training.runlog import read_log
from poseapp.training.teacher import ThunderTeacher, load_teacher
from poseapp.training.teacher_cache import cached_teacher_keypoints


@pytest.fixture(scope="module")
def thunder(shared_data: Path) -> ThunderTeacher:
    return load_teacher("thunder", shared_data)


@pytest.fixture(scope="module")
def mini_val(shared_data: Path):
    root = shared_data / "coco-mini"
    return build_source(SourceSpec("coco", root / "annotations/person_keypoints_val2017.json", root / "val2017"))


def test_thunder_agrees_with_lightnings_reference(shared_data: Path, thunder: ThunderTeacher) -> None:
    """On the squat image both MoveNets find the same body: Thunder within 4% of Lightning's reference output."""
    import csv

    img = cv2.imread(str(shared_data / "teachers" / "squat.bmp"))
    out = thunder.run(cv2.resize(img, (256, 256), interpolation=cv2.INTER_AREA)[..., ::-1])
    assert out.shape == (17, 3) and out.dtype == np.float32
    with open(shared_data / "teachers" / "movenet_singlepose_lightning_int8_reference.csv") as f:
        ref = np.array([[float(r["keypoint_y"]), float(r["keypoint_x"])] for r in csv.DictReader(f)])
    err = np.linalg.norm(out[:, :2] - ref, axis=1)
    assert np.median(err) < 0.04 and out[:, 2].mean() > 0.3


def test_load_teacher_errors(shared_data: Path, tmp_path: Path) -> None:
    from poseapp.errors import PoseappError

    with pytest.raises(PoseappError, match="name thunder or lightning"):
        load_teacher("heavy", shared_data)
    with pytest.raises(PoseappError, match="not found"):
        load_teacher(str(tmp_path / "missing.onnx"), shared_data)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not onnx")
    with pytest.raises(PoseappError, match="cannot be loaded"):
        load_teacher(str(bad), shared_data)


def test_cache_runs_each_person_once(thunder: ThunderTeacher, mini_val, tmp_path: Path) -> None:
    first, ran = cached_teacher_keypoints(thunder, mini_val.samples[:4], tmp_path)
    assert ran == 4 and first.shape == (4, 17, 3)
    again, ran = cached_teacher_keypoints(thunder, mini_val.samples[:4], tmp_path)
    assert ran == 0 and np.array_equal(again, first)
    more, ran = cached_teacher_keypoints(thunder, mini_val.samples[2:7], tmp_path)
    assert ran == 3 and np.array_equal(more[:2], first[2:])
    # the cached keypoints are the teacher's own prediction, in image pixels
    s = mini_val.samples[5]
    xy, score = thunder.predict(cv2.imread(str(s.image)), s.box_xyxy)
    assert np.allclose(more[3, :, :2], xy, atol=1e-3) and np.allclose(more[3, :, 2], score, atol=1e-5)


def test_eval_teacher_thunder(shared_data: Path, tmp_path: Path, capsys) -> None:
    """``eval --teacher thunder`` scores Thunder like a network (MANIFEST: 0.465 on coco-mini val; Lightning 0.33)."""
    root = shared_data / "coco-mini"
    out = tmp_path / "thunder.json"
    assert main(["eval", "--teacher", "thunder", "--shared-data", str(shared_data),
                 "--ann", str(root / "annotations/person_keypoints_val2017.json"), "--images", str(root / "val2017"),
                 "--json", str(out), "-q"]) == 0
    ap = json.loads(out.read_text())["metrics"]["AP"]
    assert 0.40 < ap < 0.52
    assert "teacher thunder" in capsys.readouterr().out


def test_teacher_resolution_script_degrades_only_the_input(shared_data: Path) -> None:
    """docs/teacher_resolution.py: at full detail it scores Thunder exactly as ``eval --teacher`` does (the line
    above: 0.40-0.52 on coco-mini val), and with a 32x32 input's detail clearly worse."""
    import importlib.util
    import re

    spec = importlib.util.spec_from_file_location("teacher_resolution", Path(__file__).parents[2] / "docs" / "teacher_resolution.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    root = shared_data / "coco-mini"
    lines = script.degraded_ap([256, 32], root / "annotations/person_keypoints_val2017.json", root / "val2017", shared_data)
    ap = {size: float(re.match(r"AP ([0-9.]+)", line).group(1)) for size, line in lines.items()}
    assert 0.40 < ap[256] < 0.52 and ap[32] < ap[256] - 0.1, ap


def test_error_types_script_splits_every_joint(shared_data: Path) -> None:
    """docs/error_types.py: each labelled joint is a gross miss, imprecise or good (shares sum to 1), and on
    coco-mini val, as on coco17 val, Thunder places more joints well than the shipped sfm does."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("error_types", Path(__file__).parents[2] / "docs" / "error_types.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    root = shared_data / "coco-mini"
    figs = script.error_types("sfm", root / "annotations/person_keypoints_val2017.json", root / "val2017", shared_data)
    for f in figs.values():
        shares = f["gross joints (< 0.1)"] + f["imprecise joints (0.1-0.8)"] + f["good joints (>= 0.8)"]
        assert abs(shares - 1) < 1e-9 and 0.3 < f["mean OKS"] < 0.9, f
    assert figs["thunder"]["good joints (>= 0.8)"] > figs["ours"]["good joints (>= 0.8)"], figs


def _dataset(samples, augment: AugmentConfig, teacher: TeacherConfig) -> TopDownDataset:
    return TopDownDataset(samples, COCO17, (128, 96), (32, 24), augment, 1.25, 2.0, seed=3, teacher=teacher)


def _peaks(maps: np.ndarray) -> np.ndarray:
    k, h, w = maps.shape
    idx = maps.reshape(k, -1).argmax(1)
    return np.stack([idx % w, idx // w], 1)


def test_teacher_targets_follow_the_augmentation(mini_val) -> None:
    """A teacher that agrees with the labels gives the same heatmaps, whatever the flip, scale and rotation."""
    samples = []
    for s in mini_val.samples[:12]:
        t = np.zeros((17, 3), np.float32)
        t[:, :2], t[:, 2] = s.joints, np.where(s.visible > 0, 0.8, 0.0)
        samples.append(type(s)(**{**s.__dict__, "teacher": t}))
    aug = AugmentConfig(flip=True, scale_range=(0.7, 1.3), rotation_deg=30, rotation_prob=1.0, half_body_prob=0.0)
    ds = _dataset(samples, aug, TeacherConfig(name="thunder", fill=True, kd_weight=1.0))
    flipped = 0
    for i in range(len(ds)):
        item = ds[i]
        w = item["target_weight"].numpy()
        kd_w = item["kd_weight"].numpy()
        on = w > 0
        assert np.allclose(item["kd_target"].numpy()[on], item["target"].numpy()[on], atol=1e-6)
        assert np.allclose(kd_w[on], 0.8) and np.allclose(w[on], 1.0)  # labels weigh 1, the teacher its score
        s = samples[i]  # the same draw as the dataset's (one stream per seed, epoch and index)
        flipped += random_params(s.box_xyxy, s.joints, s.visible, COCO17, (128, 96), 1.25, aug, ds._rng(i)).flip
    assert 0 < flipped < len(ds)  # both mirrored and plain crops were checked


def test_fill_uses_the_teacher_where_labels_lack(mini_val) -> None:
    s = next(s for s in mini_val.samples if 4 <= s.visible.sum() <= 14)
    missing = np.flatnonzero(s.visible == 0)
    x1, y1, x2, y2 = s.box_xyxy
    t = np.zeros((17, 3), np.float32)
    t[:, 0], t[:, 1] = (x1 + x2) / 2, (y1 + y2) / 2  # every teacher joint at the box centre
    t[:, 2] = 0.9
    t[missing[0], 2] = 0.1  # below min_score: stays unlabelled
    sample = type(s)(**{**s.__dict__, "teacher": t})
    off = AugmentConfig(enabled=False)
    gt_only = _dataset([s], off, TeacherConfig())[0]
    filled = _dataset([sample], off, TeacherConfig(name="thunder", fill=True, min_score=0.3))[0]
    w0, w1 = gt_only["target_weight"].numpy(), filled["target_weight"].numpy()
    labelled = s.visible > 0
    assert np.array_equal(w1[labelled], w0[labelled]) and (w0[~labelled] == 0).all()
    assert w1[missing[0]] == 0 and np.allclose(w1[missing[1:]], 0.9)
    # the filled targets peak at the box centre = the crop centre (heatmap 32x24: about (11.5, 15.5))
    assert (np.abs(_peaks(filled["target"].numpy()[missing[1:]]) - [11.5, 15.5]) <= 1).all()
    assert np.array_equal(filled["target"].numpy()[labelled], gt_only["target"].numpy()[labelled])
    assert "kd_target" not in filled  # kd_weight 0: no distillation term
    plain = _dataset([sample], off, TeacherConfig(name="thunder", fill=False, kd_weight=0.5))[0]
    assert np.array_equal(plain["target_weight"].numpy(), w0)  # no fill: the labels alone
    assert np.allclose(plain["kd_weight"].numpy()[missing[1:]], 0.9)


@pytest.mark.slow
def test_train_with_teacher_and_distillation(shared_data: Path, tmp_path: Path) -> None:
    """A short run with Thunder: the cache is written once, the teacher event logged, the loss finite."""
    root = shared_data / "coco-mini"
    cfg = {
        "model": "sfm",
        "data": {"root": str(root), "layout": "coco", "input_hw": [64, 48], "workers": 0,
                 "train": [{"type": "coco", "ann": "annotations/person_keypoints_train2017.json",
                            "images": "train2017", "limit": 16}]},
        "optim": {"lr": 1e-3, "schedule": "constant"},
        "train": {"epochs": 1, "batch_size": 8, "out_dir": str(tmp_path / "run"), "log_every": 1,
                  "progress": False, "val_every": 0},
        "teacher": {"name": "thunder", "shared_data": str(shared_data), "cache_dir": str(tmp_path / "cache"),
                    "kd_weight": 0.5},
    }
    path = tmp_path / "kd.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    assert main(["train", "--config", str(path), "-q"]) == 0
    log = read_log(tmp_path / "run" / "log.jsonl")
    teacher = [r for r in log if r["event"] == "teacher"]
    assert len(teacher) == 1 and teacher[0]["persons"] == 16 and teacher[0]["ran"] == 16
    assert teacher[0]["fill_joints"] > 0  # coco-mini has unlabelled joints Thunder sees
    assert len(list((tmp_path / "cache").glob("thunder-*.npz"))) == 1
    steps = [r for r in log if r["event"] == "step"]
    assert len(steps) == 2 and all(np.isfinite(r["loss"]) and r["loss"] > 0 for r in steps)


def test_pixel_augmentation_changes_pixels_not_labels(mini_val) -> None:
    """Occlusion, erasing, colour and blur alter the crop; targets and weights stay those of the plain crop."""
    samples = mini_val.samples[:6]
    base = dict(flip=True, scale_range=(0.8, 1.2), rotation_deg=20, rotation_prob=0.5, half_body_prob=0.0)
    plain = _dataset(samples, AugmentConfig(**base), TeacherConfig())
    pixel = _dataset(samples, AugmentConfig(**base, occlusion_prob=1.0, erase_prob=1.0, color_prob=1.0, blur_prob=1.0),
                     TeacherConfig())
    for i in range(len(samples)):
        a, b = plain[i], pixel[i]
        assert np.array_equal(a["target"].numpy(), b["target"].numpy())
        assert np.array_equal(a["target_weight"].numpy(), b["target_weight"].numpy())
        assert np.abs(a["image"].numpy() - b["image"].numpy()).mean() > 0.05


def test_occluders_are_patches_of_other_images() -> None:
    from poseapp.training.appearance import paste_occluders

    rng = np.random.default_rng(0)
    crop = np.zeros((128, 96, 3), np.uint8)
    donor = np.full((200, 300, 3), 77, np.uint8)
    out = paste_occluders(crop, [donor], AugmentConfig(occlusion_max=1, occlusion_size=(0.25, 0.25)), rng)
    covered = (out == 77).all(2)
    assert covered.sum() == 32 * 24 and ((out == 0) | (out == 77)).all()  # one 32x24 patch, nothing else touched
    ys, xs = np.nonzero(covered)
    assert ys.max() - ys.min() == 31 and xs.max() - xs.min() == 23


def test_shift_truncates_people(mini_val) -> None:
    """``shift`` moves the crop off the person: joints leave the map (less target mass, more zero weights)."""
    samples = [s for s in mini_val.samples if s.visible.sum() >= 12][:10]
    base = dict(flip=False, scale_range=(1.0, 1.0), rotation_prob=0.0, half_body_prob=0.0)
    lost, mass = [], []
    for shift in (0.0, 0.45):
        ds = _dataset(samples, AugmentConfig(**base, shift=shift), TeacherConfig())
        items = [ds[i] for i in range(len(ds))]
        lost.append(sum(int((it["target_weight"].numpy() == 0).sum()) for it in items))
        mass.append(sum(float((it["target"].numpy() * it["target_weight"].numpy()[:, None, None]).sum()) for it in items))
    assert lost[1] >= lost[0] and mass[1] < 0.9 * mass[0]
