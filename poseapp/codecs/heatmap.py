"""Gaussian heatmap codec (HRNet / SimpleBaseline protocol).

Coordinates are in heatmap pixels: a joint at input-crop pixel ``p`` sits at
heatmap pixel ``p / stride`` (stride 4 for 256x192 -> 64x48). ``encode_gaussian``
and every decoder use that same convention.

Decoders (all vectorised over persons and joints, numpy in and out):
- ``argmax``: argmax + quarter-pixel shift towards the higher neighbour (default).
- ``dark``: DARK (Zhang et al. 2020): Gaussian blur, log, second-order Taylor step.
- ``beta``: Beta-Soft-Argmax of LPN (seed 003): softmax(beta * h) expectation, beta 160.
Every decoder returns ``(coords N x K x 2, scores N x K)``; the score is the
heatmap maximum (for ``beta``, the heatmap value at the rounded location).
"""
from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from ..defaults import DECODERS as DECODER_NAMES

# left/right joint pairs of the COCO-17 order
COCO_FLIP_PAIRS: tuple[tuple[int, int], ...] = (
    (1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16),
)


def flip_index(num_joints: int, pairs: tuple[tuple[int, int], ...]) -> np.ndarray:
    """``idx`` such that ``joints[idx]`` (or ``heatmaps[:, idx]``) swaps every left/right pair; the one
    definition, for the flip test and the training flip (``KeypointLayout.flip_index``)."""
    idx = np.arange(num_joints)
    for a, b in pairs:
        idx[a], idx[b] = b, a
    return idx


def flip_back(heatmaps_flipped: np.ndarray, pairs=COCO_FLIP_PAIRS, stride: float = 4.0) -> np.ndarray:
    """Undo a horizontal flip of the input on ``N x K x h x w`` heatmaps.

    Mirrors the maps, swaps left/right joints and shifts them ``1 - 1 / stride`` heatmap pixels right.
    Why that shift: a joint at input column ``x`` sits at heatmap ``x / stride`` (this codec's
    convention); in the mirrored crop (``crop[..., ::-1]``, width ``W = stride * w``) it sits at
    ``W - 1 - x``, so an exact network puts its peak at ``(W - 1 - x) / stride`` and mirroring the map
    (``u -> w - 1 - u``) leaves it at ``x / stride - (1 - 1 / stride)``. HRNet shifts one whole pixel
    instead, which leaves the flipped pass ``1 / stride`` pixel right of the joint; on coco17 val that
    costs lpn50 0.0055 AP and sfm 0.002 (measured: shift 0 / 0.5 / 0.625 / 0.75 / 0.875 / 1 gave lpn50
    0.207 / 0.231 / 0.233 / 0.234 / 0.231 / 0.229, DARK, flip test). The fractional shift is a linear
    interpolation between neighbouring columns (the first column keeps its value).
    """
    out = heatmaps_flipped[:, flip_index(heatmaps_flipped.shape[1], pairs), :, ::-1]
    t = 1.0 - 1.0 / float(stride)
    if t > 0:
        shifted = out.copy()
        shifted[..., 1:] = t * out[..., :-1] + (1.0 - t) * out[..., 1:]
        out = shifted
    return np.ascontiguousarray(out)


def encode_gaussian(
    joints_hm: np.ndarray, visible: np.ndarray, hm_hw: tuple[int, int], sigma: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """Targets for ``K`` joints given in heatmap pixels.

    Returns ``(target K x H x W float32, weight K float32)``: a Gaussian of peak 1
    and ``sigma`` pixels at each visible joint; joints that are invisible or whose
    Gaussian falls wholly outside the map get an all-zero map and weight 0.
    """
    h, w = hm_hw
    k = joints_hm.shape[0]
    target = np.zeros((k, h, w), np.float32)
    weight = (np.asarray(visible) > 0).astype(np.float32)
    xs = np.arange(w, dtype=np.float32)
    ys = np.arange(h, dtype=np.float32)
    radius = 3 * sigma
    for j in range(k):
        if weight[j] == 0:
            continue
        mx, my = float(joints_hm[j, 0]), float(joints_hm[j, 1])
        if mx + radius < 0 or my + radius < 0 or mx - radius >= w or my - radius >= h:
            weight[j] = 0
            continue
        gx = np.exp(-((xs - mx) ** 2) / (2 * sigma**2))
        gy = np.exp(-((ys - my) ** 2) / (2 * sigma**2))
        target[j] = np.outer(gy, gx)
    return target, weight


def _argmax(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, k, h, w = heatmaps.shape
    flat = heatmaps.reshape(n, k, h * w)
    idx = flat.argmax(axis=2)
    scores = np.take_along_axis(flat, idx[..., None], axis=2)[..., 0]
    return (idx % w).astype(np.int64), (idx // w).astype(np.int64), scores.astype(np.float32)


def decode_argmax_quarter(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Argmax, shifted a quarter pixel towards the higher neighbour (HRNet)."""
    n, k, h, w = heatmaps.shape
    px, py, scores = _argmax(heatmaps)
    coords = np.stack([px, py], axis=-1).astype(np.float32)
    ni, ki = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")
    inner_x = (px > 0) & (px < w - 1)
    inner_y = (py > 0) & (py < h - 1)
    xl, xr = np.clip(px - 1, 0, w - 1), np.clip(px + 1, 0, w - 1)
    yu, yd = np.clip(py - 1, 0, h - 1), np.clip(py + 1, 0, h - 1)
    dx = heatmaps[ni, ki, py, xr] - heatmaps[ni, ki, py, xl]
    dy = heatmaps[ni, ki, yd, px] - heatmaps[ni, ki, yu, px]
    coords[..., 0] += np.where(inner_x, np.sign(dx) * 0.25, 0.0)
    coords[..., 1] += np.where(inner_y, np.sign(dy) * 0.25, 0.0)
    return coords, scores


_BLUR_CHANNELS = 128


def _gaussian_blur(heatmaps: np.ndarray, kernel: int) -> np.ndarray:
    """Blur each map, keeping its original maximum (DARK's modulation)."""
    n, k, h, w = heatmaps.shape
    flat = heatmaps.reshape(n * k, h, w)
    maxima = flat.reshape(n * k, -1).max(axis=1)
    # cv2 blurs many maps in one call when laid out H x W x C (OpenCV 5: at most 128 channels)
    stacked = np.ascontiguousarray(flat.transpose(1, 2, 0))
    blurred = np.empty_like(stacked)
    for s in range(0, stacked.shape[2], _BLUR_CHANNELS):
        part = np.ascontiguousarray(stacked[:, :, s : s + _BLUR_CHANNELS])
        b = cv2.GaussianBlur(part, (kernel, kernel), 0)
        blurred[:, :, s : s + _BLUR_CHANNELS] = b.reshape(h, w, -1)
    blurred = blurred.transpose(2, 0, 1)
    bmax = blurred.reshape(n * k, -1).max(axis=1)
    scale = np.where(bmax > 0, maxima / np.maximum(bmax, 1e-12), 1.0)
    return (blurred * scale[:, None, None]).reshape(n, k, h, w)


def dark_kernel(map_width: int) -> int:
    """DARK's blur kernel for maps ``map_width`` wide: 11 at 48 (DARK's and mmpose's 256x192 setting),
    scaled with the map (mmpose uses 17 at 72), odd, at least 3: 5 for the 32x24 maps of a 128x96 input.

    The fixed 11 blurs a 24-wide map over half its width, and its reflected border pulls joints
    near the edges outwards. Measured on coco17 val (flip test, same heatmaps): kernel 11 / 7 / 5 / 3
    gave lpn50 AP 0.234 / 0.236 / 0.236 / 0.237 and sfm 0.272 / 0.277 / 0.280 (3 not run).
    """
    return max(3, int(11 * map_width / 48) | 1)


def decode_dark(heatmaps: np.ndarray, kernel: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """DARK: blur, take the log, refine the argmax by one Newton (Taylor) step (``kernel`` None: ``dark_kernel``)."""
    n, k, h, w = heatmaps.shape
    kernel = int(kernel) if kernel else dark_kernel(w)
    px, py, scores = _argmax(heatmaps)
    hm = np.log(np.maximum(_gaussian_blur(heatmaps.astype(np.float32), kernel), 1e-10))
    coords = np.stack([px, py], axis=-1).astype(np.float32)
    ni, ki = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")
    ok = (px > 1) & (px < w - 2) & (py > 1) & (py < h - 2)
    x, y = np.clip(px, 2, w - 3), np.clip(py, 2, h - 3)

    def at(dy: int, dx: int) -> np.ndarray:
        return hm[ni, ki, y + dy, x + dx]

    c = at(0, 0)
    dx = 0.5 * (at(0, 1) - at(0, -1))
    dy = 0.5 * (at(1, 0) - at(-1, 0))
    dxx = 0.25 * (at(0, 2) - 2 * c + at(0, -2))
    dyy = 0.25 * (at(2, 0) - 2 * c + at(-2, 0))
    dxy = 0.25 * (at(1, 1) - at(-1, 1) - at(1, -1) + at(-1, -1))
    det = dxx * dyy - dxy**2
    valid = ok & (np.abs(det) > 1e-12)
    safe = np.where(valid, det, 1.0)
    ox = -(dyy * dx - dxy * dy) / safe
    oy = -(dxx * dy - dxy * dx) / safe
    # a step longer than a pixel means the quadratic model does not hold: skip it
    valid &= (np.abs(ox) < 1.0) & (np.abs(oy) < 1.0)
    coords[..., 0] += np.where(valid, ox, 0.0)
    coords[..., 1] += np.where(valid, oy, 0.0)
    return coords, scores


def decode_beta_soft_argmax(heatmaps: np.ndarray, beta: float = 160.0) -> tuple[np.ndarray, np.ndarray]:
    """Beta-Soft-Argmax (LPN, seed 003): expectation under softmax(beta * h)."""
    n, k, h, w = heatmaps.shape
    flat = heatmaps.reshape(n, k, h * w).astype(np.float64) * beta
    flat -= flat.max(axis=2, keepdims=True)
    p = np.exp(flat)
    p /= p.sum(axis=2, keepdims=True)
    p = p.reshape(n, k, h, w)
    x = (p.sum(axis=2) * np.arange(w)).sum(axis=2)
    y = (p.sum(axis=3) * np.arange(h)).sum(axis=2)
    coords = np.stack([x, y], axis=-1).astype(np.float32)
    rx = np.clip(np.rint(x).astype(np.int64), 0, w - 1)
    ry = np.clip(np.rint(y).astype(np.int64), 0, h - 1)
    ni, ki = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")
    scores = heatmaps[ni, ki, ry, rx].astype(np.float32)
    return coords, scores


# the names, in the order of poseapp.defaults.DECODERS (the torch-free list the parsers offer)
DECODERS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = dict(
    zip(DECODER_NAMES, (decode_argmax_quarter, decode_dark, decode_beta_soft_argmax), strict=True))


def decode(heatmaps: np.ndarray, method: str = "argmax", **params) -> tuple[np.ndarray, np.ndarray]:
    """Decode ``N x K x H x W`` heatmaps with the named decoder (``params``: its keyword arguments,
    e.g. ``beta=160`` for ``beta``, ``kernel=11`` for ``dark``)."""
    try:
        fn = DECODERS[method]
    except KeyError:
        raise ValueError(f"unknown decoder {method!r}; choose one of: {', '.join(DECODERS)}") from None
    if heatmaps.shape[0] == 0:
        k = heatmaps.shape[1]
        return np.zeros((0, k, 2), np.float32), np.zeros((0, k), np.float32)
    return fn(np.asarray(heatmaps, dtype=np.float32), **params)
