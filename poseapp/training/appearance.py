"""Pixel-level augmentation of a training crop, for the people that fail today.

Geometry (flip, scale, rotation, half-body, truncation) is ``augment.py``'s;
this module only changes pixels, so labels never move:

- occlusion by pasting (``occlusion_prob``): 1..``occlusion_max`` rectangles cut
  from other training images are pasted over the crop, each with a side of
  ``occlusion_size`` x the crop's (Sárándi et al. 2018, "synthetic occlusion"; we
  paste random image patches rather than segmented VOC objects, which are not
  available here). The joints under a patch keep their labels: the network must
  infer them, as in a real crowd.
- random erasing (``erase_prob``; Zhong et al., AAAI 2020): one rectangle of
  uniform noise, area 2-20% of the crop, aspect 0.3-3.3.
- photometric jitter (``color_prob``): brightness and contrast x U(0.7, 1.3),
  saturation x U(0.6, 1.4), hue shift U(-10, 10) degrees.
- blur (``blur_prob``): a Gaussian blur (sigma 0.5-1.5 px) or a horizontal /
  vertical motion blur of 3-7 px, half each.

Each is drawn independently from the crop's own random stream.
"""
from __future__ import annotations

import cv2
import numpy as np

from .config import AugmentConfig


def paste_occluders(crop: np.ndarray, donors: list[np.ndarray], cfg: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """Paste rectangles cut from ``donors`` (BGR images) over ``crop``."""
    if not donors:
        return crop
    h, w = crop.shape[:2]
    out = crop.copy()
    lo, hi = cfg.occlusion_size
    for _ in range(int(rng.integers(1, max(1, cfg.occlusion_max) + 1))):
        donor = donors[int(rng.integers(len(donors)))]
        ph = max(2, int(round(h * rng.uniform(lo, hi))))
        pw = max(2, int(round(w * rng.uniform(lo, hi))))
        dh, dw = donor.shape[:2]
        if dh < 2 or dw < 2:
            continue
        ph_src, pw_src = min(ph, dh), min(pw, dw)
        sy, sx = int(rng.integers(0, dh - ph_src + 1)), int(rng.integers(0, dw - pw_src + 1))
        patch = donor[sy : sy + ph_src, sx : sx + pw_src]
        if patch.shape[:2] != (ph, pw):
            patch = cv2.resize(patch, (pw, ph), interpolation=cv2.INTER_LINEAR)
        y, x = int(rng.integers(0, h - ph + 1)), int(rng.integers(0, w - pw + 1))
        out[y : y + ph, x : x + pw] = patch
    return out


def random_erase(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = crop.shape[:2]
    area = h * w * rng.uniform(0.02, 0.2)
    aspect = np.exp(rng.uniform(np.log(0.3), np.log(3.3)))
    eh, ew = int(round(np.sqrt(area * aspect))), int(round(np.sqrt(area / aspect)))
    eh, ew = min(max(eh, 1), h), min(max(ew, 1), w)
    y, x = int(rng.integers(0, h - eh + 1)), int(rng.integers(0, w - ew + 1))
    out = crop.copy()
    out[y : y + eh, x : x + ew] = rng.integers(0, 256, (eh, ew, 3), dtype=np.uint8)
    return out


def color_jitter(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-5, 5)) % 180  # OpenCV hue is degrees / 2
    hsv[..., 1] *= rng.uniform(0.6, 1.4)
    out = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2BGR).astype(np.float32)
    mean = out.mean()
    out = (out - mean) * rng.uniform(0.7, 1.3) + mean * rng.uniform(0.7, 1.3)
    return np.clip(out, 0, 255).astype(np.uint8)


def blur(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.5:
        return cv2.GaussianBlur(crop, (0, 0), float(rng.uniform(0.5, 1.5)))
    k = int(rng.integers(3, 8))
    kernel = np.zeros((k, k), np.float32)
    if rng.random() < 0.5:
        kernel[k // 2, :] = 1.0 / k
    else:
        kernel[:, k // 2] = 1.0 / k
    return cv2.filter2D(crop, -1, kernel)


def apply_appearance(crop: np.ndarray, cfg: AugmentConfig, rng: np.random.Generator,
                     donors: list[np.ndarray] | None = None) -> np.ndarray:
    """The recipe's pixel augmentations, in a fixed order: occlude, erase, colour, blur."""
    if not cfg.enabled:
        return crop
    if cfg.occlusion_prob > 0 and rng.random() < cfg.occlusion_prob:
        crop = paste_occluders(crop, donors or [], cfg, rng)
    if cfg.erase_prob > 0 and rng.random() < cfg.erase_prob:
        crop = random_erase(crop, rng)
    if cfg.color_prob > 0 and rng.random() < cfg.color_prob:
        crop = color_jitter(crop, rng)
    if cfg.blur_prob > 0 and rng.random() < cfg.blur_prob:
        crop = blur(crop, rng)
    return crop
