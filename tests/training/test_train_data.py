"""Dataset readers on the real samples; augmentation geometry; targets through the codec."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from poseapp.codecs import decode
from poseapp.errors import PoseappError
from poseapp.training.augment import CropParams, base_params, crop_person, half_body_params, random_params
from poseapp.training.config import AugmentConfig
from poseapp.training.datasets import SourceSpec, TopDownDataset, build_source, remap_samples
from poseapp.training.layouts import COCO17, MPII16
from poseapp.training.targets import make_targets


@pytest.fixture(scope="module")
def coco_train(shared_data: Path):
    root = shared_data / "coco-mini"
    return build_source(SourceSpec("coco", root / "annotations/person_keypoints_train2017.json", root / "train2017"))


@pytest.fixture(scope="module")
def mpii(shared_data: Path):
    root = shared_data / "pose-tests/mpii"
    return build_source(SourceSpec("mpii", root / "test_mpii.json", root))


def test_coco_reader(coco_train) -> None:
    assert coco_train.layout is COCO17 and len(coco_train) == 86  # the persons with keypoints (MANIFEST)
    for s in coco_train.samples:
        assert s.image.is_file() and s.visible.sum() > 0 and s.score == 1.0
        x1, y1, x2, y2 = s.box_xyxy
        assert 0 <= x1 <= x2 and 0 <= y1 <= y2
        assert np.all(s.joints[s.visible > 0] >= 0)


def test_mpii_reader(mpii, shared_data: Path) -> None:
    raw = json.loads((shared_data / "pose-tests/mpii/test_mpii.json").read_text())
    assert mpii.layout is MPII16 and len(mpii) == len(raw) == 5
    for s, a in zip(mpii.samples, raw):
        vis = np.array(a["joints_vis"]) > 0
        np.testing.assert_allclose(s.joints[vis], np.array(a["joints"])[vis] - 1)  # 1-based -> 0-based
        assert np.array_equal(s.visible > 0, vis)
        assert s.head_size > 10
        c = np.array(a["center"]) - 1
        np.testing.assert_allclose((s.box_xyxy[:2] + s.box_xyxy[2:]) / 2, [c[0], c[1] + 15 * a["scale"]], atol=1e-3)
        assert s.box_xyxy[2] - s.box_xyxy[0] == pytest.approx(200 * a["scale"], rel=1e-5)
    assert mpii.extra["head_source"] == "head_segment"


def test_detection_boxes(shared_data: Path, tmp_path: Path) -> None:
    root = shared_data / "coco-mini"
    ann = json.loads((root / "annotations/person_keypoints_val2017.json").read_text())
    dets = [{"image_id": a["image_id"], "category_id": 1, "bbox": a["bbox"], "score": 0.9} for a in ann["annotations"]]
    dets += [{"image_id": dets[0]["image_id"], "category_id": 1, "bbox": [1, 1, 50, 80], "score": 0.1},
             {"image_id": dets[0]["image_id"], "category_id": 3, "bbox": [1, 1, 50, 80], "score": 0.99}]
    path = tmp_path / "dets.json"
    path.write_text(json.dumps(dets))
    spec = SourceSpec("coco", root / "annotations/person_keypoints_val2017.json", root / "val2017", boxes=str(path))
    src = build_source(spec)
    assert len(src) == len(ann["annotations"]) + 1  # the low-score box kept at threshold 0, the car dropped
    spec.det_score_threshold = 0.5
    assert len(build_source(spec)) == len(ann["annotations"])
    assert all(s.score == 0.9 and s.visible.sum() == 0 for s in build_source(spec).samples)


def test_wrong_formats_are_one_line_errors(shared_data: Path, tmp_path: Path) -> None:
    coco = shared_data / "coco-mini/annotations/person_keypoints_val2017.json"
    mpii = shared_data / "pose-tests/mpii/test_mpii.json"
    cases = [
        SourceSpec("coco", mpii, mpii.parent),
        SourceSpec("mpii", coco, coco.parent),
        SourceSpec("coco", tmp_path / "missing.json", coco.parent),
        SourceSpec("coco", coco, tmp_path / "no-images"),
        SourceSpec("lsp", coco, coco.parent),
        SourceSpec("coco", coco, coco.parent, boxes=str(mpii)),
    ]
    for spec in cases:
        with pytest.raises(PoseappError) as exc:
            build_source(spec)
        assert "\n" not in str(exc.value)


def _visible_sample(source, min_visible: int = 12):
    return next(s for s in source.samples if s.visible.sum() >= min_visible)


def test_flip_mirrors_the_crop_and_swaps_joints(coco_train) -> None:
    s = _visible_sample(coco_train)
    image = cv2.imread(str(s.image))
    hw = (256, 192)
    p = base_params(s.box_xyxy, hw, 1.25)
    p.rotation_deg, p.scale = 10.0, 0.9
    crop, pts, vis, _ = crop_person(image, s.joints, s.visible, p, hw, COCO17)
    pf = CropParams(p.center, p.size_wh, p.scale, p.rotation_deg, flip=True)
    crop_f, pts_f, vis_f, _ = crop_person(image, s.joints, s.visible, pf, hw, COCO17)
    # the flipped crop is the mirror image of the plain one
    diff = np.abs(crop_f.astype(int) - crop[:, ::-1].astype(int))
    assert diff.mean() < 0.5 and np.percentile(diff, 99.9) <= 3
    # each joint lands on its mirrored position, under its mirrored name
    idx = COCO17.flip_index()
    np.testing.assert_allclose(pts_f[idx][:, 0], hw[1] - 1 - pts[:, 0], atol=1e-3)
    np.testing.assert_allclose(pts_f[idx][:, 1], pts[:, 1], atol=1e-3)
    assert np.array_equal(vis_f[idx], vis)
    # left stays on the same side of right (a mirrored person's left is the other physical point)
    for a, b in COCO17.flip_pairs:
        if vis[a] and vis[b] and abs(pts[a, 0] - pts[b, 0]) > 2:
            assert np.sign(pts_f[a, 0] - pts_f[b, 0]) == np.sign(pts[a, 0] - pts[b, 0])
            assert pts_f[a, 0] == pytest.approx(hw[1] - 1 - pts[b, 0], abs=1e-3)


def test_augmented_joints_follow_the_image() -> None:
    """A dot drawn at each joint is found where the transformed joint says, for random crops."""
    rng = np.random.default_rng(3)
    h, w = 480, 640
    joints = np.stack([rng.uniform(220, 420, 17), rng.uniform(100, 380, 17)], 1).astype(np.float32)
    vis = np.ones(17, np.float32)
    box = np.array([200, 80, 440, 400], np.float32)
    cfg = AugmentConfig(rotation_deg=40, rotation_prob=1.0, scale_range=(0.7, 1.3), half_body_prob=0.0)
    for trial in range(6):
        p = random_params(box, joints, vis, COCO17, (256, 192), 1.25, cfg, rng)
        p.flip = bool(trial % 2)
        for j in range(0, 17, 4):
            img = np.zeros((h, w, 3), np.uint8)
            cv2.circle(img, (int(round(joints[j, 0])), int(round(joints[j, 1]))), 3, (255, 255, 255), -1)
            crop, pts, _, _ = crop_person(img, np.round(joints), vis, p, (256, 192), COCO17)
            where = pts[COCO17.flip_index()[j]] if p.flip else pts[j]
            gray = cv2.GaussianBlur(crop[..., 0].astype(np.float32), (5, 5), 0)
            y, x = np.unravel_index(gray.argmax(), gray.shape)
            assert abs(x - where[0]) <= 1.5 and abs(y - where[1]) <= 1.5, (trial, j, (x, y), where)


def test_random_ranges() -> None:
    rng = np.random.default_rng(0)
    box = np.array([100, 100, 200, 300], np.float32)
    joints, vis = np.zeros((17, 2), np.float32), np.zeros(17, np.float32)
    normal = AugmentConfig(scale_range=(0.75, 1.25), rotation_deg=30, rotation_prob=0.6, half_body_prob=0)
    ps = [random_params(box, joints, vis, COCO17, (256, 192), 1.25, normal, rng) for _ in range(2000)]
    scales = np.array([p.scale for p in ps])
    rots = np.array([p.rotation_deg for p in ps])
    assert scales.min() >= 0.75 and scales.max() <= 1.25 and 0.15 < scales.std() < 0.21  # N(1, 0.25) clipped at 1 sigma
    assert np.abs(rots).max() <= 60 and 0.35 < (rots == 0).mean() < 0.45
    assert 0.45 < np.mean([p.flip for p in ps]) < 0.55
    uniform = AugmentConfig(scale_range=(0.7, 1.35), rotation_deg=45, rotation_prob=1.0, sampling="uniform")
    ps = [random_params(box, joints, vis, COCO17, (256, 192), 1.25, uniform, rng) for _ in range(2000)]
    assert min(p.scale for p in ps) >= 0.7 and max(p.scale for p in ps) <= 1.35
    assert max(abs(p.rotation_deg) for p in ps) <= 45 and max(abs(p.rotation_deg) for p in ps) > 40


def test_half_body(coco_train) -> None:
    s = _visible_sample(coco_train, 14)
    hw = (256, 192)
    seen = set()
    for seed in range(12):
        p = half_body_params(s.joints, s.visible, COCO17, hw, np.random.default_rng(seed))
        upper = [j for j in COCO17.upper_body if s.visible[j]]
        lower = [j for j in COCO17.lower_body if s.visible[j]]
        for part in (upper, lower):
            if np.allclose(p.center, s.joints[part].mean(0)):
                seen.add(len(part))
                crop, pts, _, _ = crop_person(cv2.imread(str(s.image)), s.joints, s.visible, p, hw, COCO17)
                inside = (pts[part] >= 0).all(1) & (pts[part, 0] < hw[1]) & (pts[part, 1] < hw[0])
                assert inside.all()
                assert abs(p.size_wh[0] / p.size_wh[1] - 0.75) < 1e-4
    assert len(seen) == 2  # both halves drawn


def test_targets_peak_at_the_joints(coco_train) -> None:
    ds = TopDownDataset(coco_train.samples, COCO17, (256, 192), (64, 48), augment=None)
    for i in range(0, len(ds), 9):
        s = coco_train.samples[i]
        item = ds[i]
        target, weight = item["target"].numpy(), item["target_weight"].numpy()
        assert item["image"].shape == (3, 256, 192) and target.shape == (17, 64, 48)
        p = base_params(s.box_xyxy, (256, 192), 1.25)
        _, pts, vis, _ = crop_person(np.zeros((8, 8, 3), np.uint8), s.joints, s.visible, p, (256, 192), COCO17)
        hm = pts / 4.0
        assert np.all(weight[vis == 0] == 0)
        coords, scores = decode(target[None])
        inside = (hm[:, 0] >= 0) & (hm[:, 0] <= 47) & (hm[:, 1] >= 0) & (hm[:, 1] <= 63) & (vis > 0)
        assert np.all(weight[inside] == 1)
        for j in np.flatnonzero(inside):
            y, x = np.unravel_index(target[j].argmax(), target[j].shape)
            assert abs(x - hm[j, 0]) <= 0.5 + 1e-6 and abs(y - hm[j, 1]) <= 0.5 + 1e-6
            assert np.abs(coords[0, j] - hm[j]).max() <= 0.5 and scores[0, j] > 0.88


def test_targets_with_small_input() -> None:
    joints = np.array([[48.0, 64.0], [0.0, 0.0], [500.0, 10.0]], np.float32)
    target, weight = make_targets(joints, np.array([1, 0, 1], np.float32), (128, 96), (32, 24))
    assert target.shape == (3, 32, 24) and weight.tolist() == [1.0, 0.0, 0.0]
    assert np.unravel_index(target[0].argmax(), (32, 24)) == (16, 12)


def test_dataset_augmentation_is_seeded(coco_train) -> None:
    ds = TopDownDataset(coco_train.samples[:4], COCO17, (128, 96), (32, 24), AugmentConfig(), seed=1)
    a, b = ds[2]["image"], ds[2]["image"]
    assert np.array_equal(a.numpy(), b.numpy())
    ds.set_epoch(1)
    assert not np.array_equal(a.numpy(), ds[2]["image"].numpy())


def test_remap_to_coco() -> None:
    from poseapp.training.datasets import PersonSample

    s = PersonSample(Path("x.jpg"), 1, np.zeros(4, np.float32), np.arange(28, dtype=np.float32).reshape(14, 2),
                     np.ones(14, np.float32))
    (r,) = remap_samples([s], {9: 5, 8: 6}, COCO17)
    assert r.joints.shape == (17, 2) and r.visible.tolist().count(1.0) == 2
    np.testing.assert_array_equal(r.joints[5], s.joints[9])
