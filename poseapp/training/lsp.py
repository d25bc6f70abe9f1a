"""Leeds Sports Pose extended (LSPet) as a COCO-17 keypoint data set.

LSPet gives 14 joints per image (``joints.mat``: 14 x 3 x N, x / y / visible,
left and right as the person's own); COCO's 12 limb joints map one to one,
the face joints (nose, eyes, ears) are missing. ``build_lsp_coco`` writes
COCO-format annotation files so the ordinary COCO loader and ``COCOeval`` read
LSP as they read COCO:

- the person's box is the extent of the labelled joints padded by 30% (each
  side by 15% of the extent, the head top included); its ``area`` is the box's
  w x h (LSP has no segmentation), which sets the OKS scale;
- limb joints: v = 2 where flagged visible, 1 where labelled but occluded,
  0 where unlabelled (negative coordinates);
- with a teacher, the face joints are filled from its prediction where its
  score passes ``face_threshold`` (v = 1, ``"pseudo": true`` on the
  annotation) -- in the training split only: the validation split keeps the
  12 labelled limb joints, so its AP is COCO OKS over those joints.

Images 1..6000 are present; 5501..6000 are the validation split.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np

from ..errors import PoseappError
from ..skeleton import COCO_KEYPOINTS, COCO_SKELETON

# COCO index <- LSP index, for the 12 limb joints
COCO_FROM_LSP = {5: 9, 6: 8, 7: 10, 8: 7, 9: 11, 10: 6, 11: 3, 12: 2, 13: 4, 14: 1, 15: 5, 16: 0}
LSP_HEAD_TOP, LSP_NECK = 13, 12
VAL_FIRST, LAST_IMAGE = 5501, 6000


def read_lsp_joints(root: str | Path) -> np.ndarray:
    """``N x 14 x 3`` (x, y, visible) for the images present (1..6000)."""
    try:
        from scipy.io import loadmat
    except ImportError:
        raise PoseappError("reading joints.mat needs scipy: pip install 'poseapp[teacher]'") from None
    path = Path(root) / "joints.mat"
    if not path.is_file():
        raise PoseappError(f"{path} not found: pass the LSP-extended folder (joints.mat and images/)")
    j = loadmat(str(path))["joints"]
    if j.shape[:2] != (14, 3):
        raise PoseappError(f"{path} holds joints of shape {j.shape}, expected 14 x 3 x N (LSP-extended)")
    return np.transpose(j, (2, 0, 1))[:LAST_IMAGE].astype(np.float64)


def lsp_box(joints14: np.ndarray, pad: float = 0.30) -> list[float] | None:
    ok = (joints14[:, 0] >= 0) & (joints14[:, 1] >= 0)
    if ok.sum() < 2:
        return None
    p = joints14[ok, :2]
    (x1, y1), (x2, y2) = p.min(0), p.max(0)
    w, h = x2 - x1, y2 - y1
    x1, y1 = x1 - pad / 2 * w, y1 - pad / 2 * h
    return [float(x1), float(y1), float(w * (1 + pad)), float(h * (1 + pad))]


def to_coco_keypoints(joints14: np.ndarray) -> np.ndarray:
    kps = np.zeros((17, 3), np.float64)
    for c, lidx in COCO_FROM_LSP.items():
        x, y, vis = joints14[lidx]
        if x >= 0 and y >= 0:
            kps[c] = (x, y, 2 if vis > 0 else 1)
    return kps


def build_lsp_coco(root: str | Path, out_dir: str | Path, teacher=None, face_threshold: float = 0.3,
                   progress: bool = True, numbers: range | None = None) -> tuple[Path, Path]:
    """Write ``lsp_train.json`` (1..5500) and ``lsp_val.json`` (5501..6000) into ``out_dir``.

    ``numbers`` limits the images (1-based), e.g. for a quick test.
    """
    from tqdm import tqdm

    root, out_dir = Path(root), Path(out_dir)
    joints = read_lsp_joints(root)
    out_dir.mkdir(parents=True, exist_ok=True)
    cats = [{"id": 1, "name": "person", "supercategory": "person", "keypoints": list(COCO_KEYPOINTS),
             "skeleton": [[a + 1, b + 1] for a, b in COCO_SKELETON]}]
    splits = {"train": ([], []), "val": ([], [])}
    todo = [n - 1 for n in (numbers or range(1, joints.shape[0] + 1)) if 1 <= n <= joints.shape[0]]
    for i in tqdm(todo, desc="LSP", disable=not progress):
        num = i + 1
        split = "val" if num >= VAL_FIRST else "train"
        fname = f"im{num:05d}.jpg"
        box = lsp_box(joints[i])
        if box is None:
            continue
        img = cv2.imread(str(root / "images" / fname)) if (teacher is not None and split == "train") else None
        if img is None:
            h, w = _image_hw(root / "images" / fname)
        else:
            h, w = img.shape[:2]
        kps = to_coco_keypoints(joints[i])
        pseudo = False
        if img is not None:
            x, y, bw, bh = box
            t_xy, t_s = teacher.predict(img, np.array([x, y, x + bw, y + bh]))
            for j in range(5):
                if t_s[j] >= face_threshold:
                    kps[j] = (t_xy[j, 0], t_xy[j, 1], 1)
                    pseudo = True
        images, anns = splits[split]
        images.append({"id": num, "file_name": fname, "height": int(h), "width": int(w)})
        anns.append({"id": num, "image_id": num, "category_id": 1, "bbox": [round(v, 2) for v in box],
                     "area": round(box[2] * box[3], 2), "iscrowd": 0, "num_keypoints": int((kps[:, 2] > 0).sum()),
                     "keypoints": [round(float(v), 2) for v in kps.reshape(-1)], "pseudo": pseudo})
    paths = []
    for split, (images, anns) in splits.items():
        path = out_dir / f"lsp_{split}.json"
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
        os.replace(tmp, path)
        paths.append(path)
    return paths[0], paths[1]


def _image_hw(path: Path) -> tuple[int, int]:
    """Height and width from the file header (no decoding)."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.height, im.width
    except OSError:
        raise PoseappError(f"cannot read LSP image {path}: the LSP-extended images/ folder is incomplete") from None
