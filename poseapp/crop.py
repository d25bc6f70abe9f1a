"""Cropper: person boxes -> one batch of normalised affine crops.

Box-to-crop follows the HRNet protocol: the box centre, the box padded to the
network's aspect ratio (192:256) and enlarged by ``scale`` (1.25). One
``cv2.warpAffine`` per person into a pre-allocated batch buffer; the ImageNet
normalisation runs once over the whole batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

IMAGENET_MEAN_RGB = np.array([0.485, 0.456, 0.406], np.float32) * 255.0
IMAGENET_STD_RGB = np.array([0.229, 0.224, 0.225], np.float32) * 255.0


def box_to_center_size(box_xyxy: np.ndarray, aspect_wh: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Centres (N x 2) and crop sizes (N x 2, w h) padded to ``aspect_wh`` and scaled."""
    box = np.asarray(box_xyxy, np.float32).reshape(-1, 4)
    center = np.stack([(box[:, 0] + box[:, 2]) / 2, (box[:, 1] + box[:, 3]) / 2], axis=1)
    w = np.maximum(box[:, 2] - box[:, 0], 1.0)
    h = np.maximum(box[:, 3] - box[:, 1], 1.0)
    wider = w > aspect_wh * h
    h = np.where(wider, w / aspect_wh, h)
    w = np.where(wider, w, h * aspect_wh)
    return center, np.stack([w, h], axis=1) * scale


def crop_affines(
    center: np.ndarray, size_wh: np.ndarray, out_hw: tuple[int, int], rotation_deg: np.ndarray | None = None
) -> np.ndarray:
    """Affine matrices (N x 2 x 3) mapping the image to the ``out_hw`` crop.

    The crop of size ``size_wh`` centred on ``center`` (optionally rotated by
    ``rotation_deg`` counter-clockwise) maps onto ``[0, W] x [0, H]``.
    """
    out_h, out_w = out_hw
    n = center.shape[0]
    sx = out_w / size_wh[:, 0]
    sy = out_h / size_wh[:, 1]
    rot = np.zeros(n, np.float32) if rotation_deg is None else np.deg2rad(np.asarray(rotation_deg, np.float32))
    cos, sin = np.cos(rot), np.sin(rot)
    a = np.zeros((n, 2, 3), np.float64)
    # p_out = S R (p - c) + o, with R rotating the crop window by +rot
    a[:, 0, 0] = sx * cos
    a[:, 0, 1] = sx * sin
    a[:, 1, 0] = -sy * sin
    a[:, 1, 1] = sy * cos
    a[:, 0, 2] = out_w / 2 - (a[:, 0, 0] * center[:, 0] + a[:, 0, 1] * center[:, 1])
    a[:, 1, 2] = out_h / 2 - (a[:, 1, 0] * center[:, 0] + a[:, 1, 1] * center[:, 1])
    return a


def invert_affines(affines: np.ndarray) -> np.ndarray:
    """Inverse of each 2 x 3 affine."""
    n = affines.shape[0]
    full = np.zeros((n, 3, 3), np.float64)
    full[:, :2] = affines
    full[:, 2, 2] = 1.0
    return np.linalg.inv(full)[:, :2]


def apply_affines(points: np.ndarray, affines: np.ndarray) -> np.ndarray:
    """Map ``N x K x 2`` points through ``N x 2 x 3`` affines."""
    return np.einsum("nij,nkj->nki", affines[:, :, :2], points) + affines[:, None, :, 2]


@dataclass
class CropBatch:
    """Network input for one frame's persons and the way back to image pixels."""

    images: np.ndarray  # N x 3 x H x W float32, RGB, normalised
    affines: np.ndarray  # N x 2 x 3, image -> crop
    inverse: np.ndarray  # N x 2 x 3, crop -> image
    sizes_wh: np.ndarray | None = None  # N x 2, the crop window in image pixels (OKS-NMS area: w * h)

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @staticmethod
    def concat(batches: list[CropBatch]) -> CropBatch:
        """One batch of the persons of several (e.g. several images' crops for one forward pass)."""
        if len(batches) == 1:
            return batches[0]
        sizes = None if any(b.sizes_wh is None for b in batches) else np.concatenate([b.sizes_wh for b in batches])
        return CropBatch(np.concatenate([b.images for b in batches]), np.concatenate([b.affines for b in batches]),
                         np.concatenate([b.inverse for b in batches]), sizes)


class Cropper:
    """Crops all persons of a frame into one pre-allocated batch.

    ``mean_rgb`` / ``std_rgb``: the normalisation, in 0-255 units (default ImageNet's)."""

    def __init__(self, input_hw: tuple[int, int] = (256, 192), scale: float = 1.25,
                 mean_rgb: np.ndarray | None = None, std_rgb: np.ndarray | None = None) -> None:
        self.input_hw = tuple(input_hw)
        self.scale = scale
        self.mean_rgb = IMAGENET_MEAN_RGB if mean_rgb is None else np.asarray(mean_rgb, np.float32)
        self.std_rgb = IMAGENET_STD_RGB if std_rgb is None else np.asarray(std_rgb, np.float32)
        self._buf = np.zeros((0, *input_hw, 3), np.uint8)

    @classmethod
    def from_spec(cls, spec) -> Cropper:
        """The crop a ``poseapp.codecs.RunSpec`` asks for: its input size, box enlargement and normalisation."""
        return cls(tuple(spec.input_hw), scale=spec.box_scale, mean_rgb=spec.mean_rgb_255, std_rgb=spec.std_rgb_255)

    def __call__(self, frame_bgr: np.ndarray, boxes_xyxy: np.ndarray) -> CropBatch:
        h, w = self.input_hw
        boxes = np.asarray(boxes_xyxy, np.float32).reshape(-1, 4)
        n = boxes.shape[0]
        center, size = box_to_center_size(boxes, w / h, self.scale)
        affines = crop_affines(center, size, self.input_hw)
        if self._buf.shape[0] < n:
            self._buf = np.zeros((max(n, 2 * self._buf.shape[0]), h, w, 3), np.uint8)
        for i in range(n):
            cv2.warpAffine(
                frame_bgr, affines[i], (w, h), dst=self._buf[i], flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0),
            )
        return CropBatch(normalize_bgr(self._buf[:n], self.mean_rgb, self.std_rgb), affines, invert_affines(affines),
                         size)


def normalize_bgr(batch_bgr_hwc: np.ndarray, mean_rgb: np.ndarray = IMAGENET_MEAN_RGB,
                  std_rgb: np.ndarray = IMAGENET_STD_RGB) -> np.ndarray:
    """``N x H x W x 3`` BGR uint8 -> ``N x 3 x H x W`` RGB float32, normalised (0-255 mean / std)."""
    rgb = batch_bgr_hwc[..., ::-1].astype(np.float32)
    rgb -= mean_rgb
    rgb /= std_rgb
    return np.ascontiguousarray(rgb.transpose(0, 3, 1, 2))


def heatmap_to_image(coords_hm: np.ndarray, inverse: np.ndarray, stride: float | tuple[float, float]) -> np.ndarray:
    """Heatmap-pixel coordinates (N x K x 2) -> original image pixels."""
    sx, sy = (stride, stride) if np.isscalar(stride) else stride
    pts = coords_hm.astype(np.float64) * np.array([sx, sy])
    return apply_affines(pts, inverse).astype(np.float32)
