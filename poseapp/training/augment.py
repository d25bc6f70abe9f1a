"""Top-down augmentation: half-body, random scale / rotation, flip, affine crop.

Protocol of Xiao et al. (SimpleBaseline, ECCV 2018) and Sun et al. (HRNet, CVPR
2019), ``lib/dataset/JointsDataset.__getitem__``, with per-recipe ranges:
- half-body (Wang et al., HRNet): with probability ``half_body_prob`` and more
  than ``half_body_min_joints`` labelled joints, crop the upper or the lower body
  (HRNet's draw) around the mean of its joints, their box padded to the aspect, x1.5;
- scale: ``normal`` sampling ``clip(1 + N(0,1) * sf, lo, hi)`` with
  ``sf = (hi - lo) / 2`` (HRNet/mmpose), ``uniform`` sampling ``U(lo, hi)``;
- rotation: with probability ``rotation_prob``, ``clip(N * deg, -2 deg, 2 deg)``
  (``normal``) or ``U(-deg, deg)`` (``uniform``);
- flip, p = 0.5: the crop is mirrored (x -> W - 1 - x) and left/right joints swap;
- truncation (``shift`` > 0, ours, for cut-off people): the crop centre moves by
  U(-shift, shift) x the crop size on each axis, so part of the person leaves the
  crop (joints whose Gaussian falls outside get weight 0). Drawn last, so the
  other draws of a recipe without it are unchanged.
The crop itself is ``poseapp.crop``'s (box centre, aspect of the input, x1.25),
so training sees the same geometry as the app and the evaluator.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..crop import apply_affines, box_to_center_size, crop_affines
from .config import AugmentConfig
from .layouts import KeypointLayout


@dataclass
class CropParams:
    """Everything that decides one training crop (drawn at random, or fixed in tests)."""

    center: np.ndarray  # (2,) image px
    size_wh: np.ndarray  # (2,) crop window in image px, before ``scale``
    scale: float = 1.0
    rotation_deg: float = 0.0
    flip: bool = False


def base_params(box_xyxy: np.ndarray, input_hw: tuple[int, int], box_scale: float) -> CropParams:
    """The evaluation crop of a box: no augmentation."""
    h, w = input_hw
    center, size = box_to_center_size(np.asarray(box_xyxy, np.float32)[None], w / h, box_scale)
    return CropParams(center[0], size[0])


def half_body_params(
    joints: np.ndarray, visible: np.ndarray, layout: KeypointLayout, input_hw: tuple[int, int],
    rng: np.random.Generator, scale: float = 1.5,
) -> CropParams | None:
    """Centre and size of an upper- or lower-body crop, or None when too few joints."""
    upper = [j for j in layout.upper_body if visible[j] > 0]
    lower = [j for j in layout.lower_body if visible[j] > 0]
    # HRNet draws ``randn() < 0.5`` (upper body about 69% of the time): kept as is
    if rng.standard_normal() < 0.5 and len(upper) > 2:
        chosen = upper
    else:
        chosen = lower if len(lower) > 2 else upper
    if len(chosen) < 2:
        return None
    pts = joints[chosen].astype(np.float32)
    (x1, y1), (x2, y2) = pts.min(0), pts.max(0)
    h, w = input_hw
    _, size = box_to_center_size(np.array([[x1, y1, x2, y2]], np.float32), w / h, scale)
    return CropParams(pts.mean(0), size[0])


def random_params(
    box_xyxy: np.ndarray, joints: np.ndarray, visible: np.ndarray, layout: KeypointLayout,
    input_hw: tuple[int, int], box_scale: float, cfg: AugmentConfig, rng: np.random.Generator,
) -> CropParams:
    """Draw one recipe's augmentation for a person (see the module docstring)."""
    params = base_params(box_xyxy, input_hw, box_scale)
    if not cfg.enabled:
        return params
    if cfg.half_body_prob > 0 and visible.sum() > cfg.half_body_min_joints and rng.random() < cfg.half_body_prob:
        hb = half_body_params(joints, visible, layout, input_hw, rng, cfg.half_body_scale)
        if hb is not None:
            params = hb
    lo, hi = cfg.scale_range
    if cfg.sampling == "uniform":
        params.scale = float(rng.uniform(lo, hi))
        rot = float(rng.uniform(-cfg.rotation_deg, cfg.rotation_deg))
    else:
        sf = (hi - lo) / 2
        params.scale = float(np.clip(1.0 + rng.standard_normal() * sf, lo, hi))
        rot = float(np.clip(rng.standard_normal() * cfg.rotation_deg, -2 * cfg.rotation_deg, 2 * cfg.rotation_deg))
    params.rotation_deg = rot if rng.random() < cfg.rotation_prob else 0.0
    params.flip = bool(cfg.flip and rng.random() < 0.5)
    if cfg.shift > 0:
        params.center = params.center + rng.uniform(-cfg.shift, cfg.shift, 2).astype(np.float32) * params.size_wh * params.scale
    return params


def params_affine(params: CropParams, input_hw: tuple[int, int]) -> np.ndarray:
    """The 2 x 3 image -> crop matrix of ``params`` (flip included)."""
    h, w = input_hw
    a = crop_affines(params.center[None], (params.size_wh * params.scale)[None], input_hw,
                     np.array([params.rotation_deg], np.float32))[0]
    if params.flip:
        mirror = np.array([[-1.0, 0.0, w - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        a = (mirror @ np.vstack([a, [0.0, 0.0, 1.0]]))[:2]
    return a


def crop_person(
    image_bgr: np.ndarray, joints: np.ndarray, visible: np.ndarray, params: CropParams,
    input_hw: tuple[int, int], layout: KeypointLayout,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(crop H x W x 3 BGR uint8, joints in crop px K x 2, visible K, affine 2 x 3)``.

    With ``params.flip`` the joints are also re-indexed so that a left joint of
    the mirrored crop is labelled left (the layout's flip pairs).
    """
    h, w = input_hw
    a = params_affine(params, input_hw)
    crop = cv2.warpAffine(image_bgr, a, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    pts = apply_affines(joints[None].astype(np.float64), a[None])[0].astype(np.float32)
    vis = visible.astype(np.float32).copy()
    if params.flip:
        idx = layout.flip_index()
        pts, vis = pts[idx], vis[idx]
    return crop, pts, vis, a
