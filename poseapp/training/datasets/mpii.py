"""MPII Human Pose in the standard json layout (HRNet ``data/mpii/annot/*.json``).

Each entry: ``image`` (file name), ``center`` [x, y], ``scale`` (person height /
200 px), ``joints`` (16 x [x, y], MATLAB 1-based) and ``joints_vis`` (16 x 0/1).
Protocol of HRNet ``lib/dataset/mpii.py``: the centre moves 15 * scale px down,
the crop is a square of side 200 * scale * 1.25, coordinates become 0-based.

PCKh normaliser (``head_size``, Andriluka et al. CVPR 2014): 0.6 x the diagonal
of the head box from the official ``mpii_gt_val.mat`` when given
(``headboxes``), or an entry's own ``head_size``; otherwise the head segment
(upper neck to head top), which is about 1.3x the official figure, so
thresholds are looser than the benchmark's (say so when reporting).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import PoseappError
from ..layouts import MPII16
from .base import PersonSample, PoseSource, SourceSpec, read_json, register_source

SC_BIAS = 0.6  # official MPII evaluation: head size = 0.6 x head-box diagonal
HEAD_TOP, UPPER_NECK = 9, 8


def is_mpii_json(data: object) -> bool:
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(a, dict) and {"image", "center", "scale"} <= a.keys() for a in data)
    )


def read_headboxes(path: Path, count: int) -> np.ndarray:
    """Head sizes (``count``,) from the official ``mpii_gt_val.mat`` (``headboxes_src``)."""
    if not path.is_file():
        raise PoseappError(f"MPII head-box file {path} not found")
    try:
        from scipy.io import loadmat
    except ImportError:
        raise PoseappError("reading the MPII .mat head boxes needs scipy: pip install scipy") from None
    try:
        boxes = np.asarray(loadmat(str(path))["headboxes_src"], np.float64)
    except Exception as exc:
        raise PoseappError(f"{path} is not an MPII gt .mat file with 'headboxes_src' ({exc})") from None
    if boxes.shape[:2] != (2, 2) or boxes.shape[2] != count:
        raise PoseappError(f"{path} holds {boxes.shape[-1]} head boxes for {count} annotations")
    return np.linalg.norm(boxes[1] - boxes[0], axis=0) * SC_BIAS


@register_source("mpii")
def mpii_source(spec: SourceSpec) -> PoseSource:
    data = read_json(spec.ann)
    if not is_mpii_json(data):
        raise PoseappError(
            f"{spec.ann} is not an MPII json annotation file (a list of {{image, center, scale, joints, joints_vis}})"
        )
    heads = read_headboxes(spec.headboxes, len(data)) if spec.headboxes else None
    k = MPII16.num_joints
    samples = []
    used: set[str] = set()
    for i, a in enumerate(data):
        if "joints" not in a:
            raise PoseappError(f"{spec.ann} has no joints (the MPII test split has no public labels)")
        joints = np.asarray(a["joints"], np.float32).reshape(-1, 2)
        if joints.shape[0] != k:
            raise PoseappError(f"{spec.ann}: entry {i} has {joints.shape[0]} joints; MPII has {k}")
        vis = np.asarray(a.get("joints_vis", np.ones(k)), np.float32).reshape(k)
        joints = joints - 1.0  # MATLAB 1-based -> 0-based
        vis = np.where((vis > 0) & (joints[:, 0] >= 0), 1.0, 0.0).astype(np.float32)
        c = np.asarray(a["center"], np.float32) - 1.0
        s = float(a["scale"])
        if c[0] > -2:  # HRNet: only real centres are shifted (-1 marks none)
            c[1] += 15 * s
        half = 100.0 * s
        box = np.array([c[0] - half, c[1] - half, c[0] + half, c[1] + half], np.float32)
        if heads is not None:
            head, how = float(heads[i]), "headboxes"
        elif "head_size" in a:
            head, how = float(a["head_size"]), "annotation"
        elif vis[HEAD_TOP] and vis[UPPER_NECK]:
            head, how = float(np.linalg.norm(joints[HEAD_TOP] - joints[UPPER_NECK])), "head_segment"
        else:
            head, how = None, "none"
        used.add(how)
        samples.append(PersonSample(
            image=spec.images / a["image"], image_id=a["image"], box_xyxy=box,
            joints=joints, visible=vis, score=1.0, head_size=head, ann_id=i,
        ))
    return PoseSource(
        name=spec.ann.stem, layout=MPII16, samples=samples, box_scale=1.25,
        extra={"head_source": "+".join(sorted(used))},
    )
