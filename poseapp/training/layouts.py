"""Keypoint layouts: joint names, left/right flip pairs and the upper-body set.

The upper-body set drives the half-body transform (Wang et al., HRNet protocol,
``lib/dataset/JointsDataset.half_body_transform``); the flip pairs drive both the
training flip and the flip test. OKS sigmas exist for COCO only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..codecs import COCO_FLIP_PAIRS, flip_index
from ..errors import PoseappError
from ..skeleton import COCO_KEYPOINTS, COCO_SIGMAS


@dataclass(frozen=True)
class KeypointLayout:
    """The joints a dataset annotates, in its own order."""

    name: str
    names: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...]
    upper_body: tuple[int, ...]
    sigmas: tuple[float, ...] | None = None  # OKS sigmas (COCO evaluation)

    @property
    def num_joints(self) -> int:
        return len(self.names)

    @property
    def lower_body(self) -> tuple[int, ...]:
        return tuple(j for j in range(self.num_joints) if j not in self.upper_body)

    def flip_index(self) -> np.ndarray:
        """``idx`` such that ``joints[idx]`` swaps every left/right pair (``poseapp.codecs.flip_index``)."""
        return flip_index(self.num_joints, self.flip_pairs)


COCO17 = KeypointLayout(
    name="coco",
    names=COCO_KEYPOINTS,
    flip_pairs=COCO_FLIP_PAIRS,
    upper_body=tuple(range(11)),  # nose .. wrists
    sigmas=tuple(float(s) for s in COCO_SIGMAS),
)

# MPII order (Andriluka et al. 2014; the HRNet/mmpose json layout)
MPII16 = KeypointLayout(
    name="mpii",
    names=(
        "right_ankle", "right_knee", "right_hip", "left_hip", "left_knee", "left_ankle",
        "pelvis", "thorax", "upper_neck", "head_top",
        "right_wrist", "right_elbow", "right_shoulder", "left_shoulder", "left_elbow", "left_wrist",
    ),
    flip_pairs=((0, 5), (1, 4), (2, 3), (10, 15), (11, 14), (12, 13)),
    upper_body=(7, 8, 9, 10, 11, 12, 13, 14, 15),
)

LAYOUTS: dict[str, KeypointLayout] = {"coco": COCO17, "mpii": MPII16}


def register_layout(layout: KeypointLayout) -> KeypointLayout:
    """Add a layout (e.g. a new dataset's joints) so configs can name it."""
    if layout.name in LAYOUTS and LAYOUTS[layout.name] != layout:
        raise ValueError(f"keypoint layout {layout.name!r} registered twice")
    LAYOUTS[layout.name] = layout
    return layout


def get_layout(name: str) -> KeypointLayout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise PoseappError(f"unknown keypoint layout {name!r}; choose one of: {', '.join(LAYOUTS)}") from None
