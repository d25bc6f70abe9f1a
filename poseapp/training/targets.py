"""Training targets through the app's codec (``poseapp.codecs.encode_gaussian``).

Joints in input-crop pixels become heatmap pixels by dividing by the stride
(input / heatmap size), exactly the inverse of what the decoders and
``poseapp.crop.heatmap_to_image`` do at inference, so targets and decoding
cannot drift apart. Target weights: 0 for unlabelled joints and for joints whose
Gaussian falls wholly outside the map (HRNet ``generate_target``).
"""
from __future__ import annotations

import numpy as np

from ..codecs import encode_gaussian


def heatmap_hw(input_hw: tuple[int, int], stride: int = 4) -> tuple[int, int]:
    """Heatmap size of an input size (stride 4 for every network here)."""
    return input_hw[0] // stride, input_hw[1] // stride


def make_targets(
    joints_crop: np.ndarray, visible: np.ndarray, input_hw: tuple[int, int], hm_hw: tuple[int, int], sigma: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """``(target K x h x w float32, weight K float32)`` for joints in crop pixels."""
    stride = np.array([input_hw[1] / hm_hw[1], input_hw[0] / hm_hw[0]], np.float32)
    return encode_gaussian(joints_crop / stride, visible, hm_hw, sigma)
