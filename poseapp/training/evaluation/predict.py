"""Top-down inference over annotated persons with the app's stages.

Per image: ``poseapp.crop.Cropper`` (box centre, input aspect, x1.25) -> the
runner -> optional flip test (``poseapp.codecs.flip_back`` with the dataset's
flip pairs: mirrored, swapped, shifted one pixel; HRNet protocol) ->
``poseapp.codecs.decode`` -> ``poseapp.crop.heatmap_to_image``. These are the
calls ``Pipeline.estimate`` makes; only the flip pairs (MPII's differ from
COCO's) and the batching across images are added here.
"""
from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...codecs import decode, flip_back
from ...crop import Cropper, box_to_center_size, heatmap_to_image
from ..datasets.base import PersonSample
from ..datasets.topdown import read_image
from ..layouts import KeypointLayout


DARK_CHUNK = 4  # persons per decode_dark call (see heatmaps_to_image)


@dataclass
class Predictions:
    """Keypoints of each sample, in the order of the samples."""

    keypoints: np.ndarray  # N x K x 2, image pixels
    scores: np.ndarray  # N x K, heatmap maxima
    areas: np.ndarray  # N, crop area in px^2 (OKS-NMS scale, HRNet)


def run_heatmaps(runner, images: np.ndarray, flip_pairs, flip_test: bool) -> np.ndarray:
    """``N x K x h x w`` heatmaps; with ``flip_test`` averaged with the mirrored crop's."""
    if not flip_test:
        return runner(images)
    both = runner(np.concatenate([images, images[..., ::-1]], 0))
    n = images.shape[0]
    return (both[:n] + flip_back(both[n:], pairs=flip_pairs)) * 0.5


def heatmaps_to_image(heatmaps: np.ndarray, inverse: np.ndarray, input_hw: tuple[int, int], decoder: str = "argmax"):
    """Decode heatmaps and map them back through each crop's inverse affine."""
    if decoder == "dark" and heatmaps.shape[0] > DARK_CHUNK:
        # decode_dark blurs all maps in one cv2 call, which OpenCV 5 refuses beyond 128 channels
        parts = [decode(heatmaps[s : s + DARK_CHUNK], decoder) for s in range(0, heatmaps.shape[0], DARK_CHUNK)]
        coords, scores = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    else:
        coords, scores = decode(heatmaps, decoder)
    stride = (input_hw[1] / heatmaps.shape[3], input_hw[0] / heatmaps.shape[2])
    return heatmap_to_image(coords, inverse, stride), scores


def _images(paths: list[Path], workers: int) -> Iterator[np.ndarray]:
    """Decode images in a small thread pool, a bounded window ahead."""
    window = max(1, workers) * 4
    with ThreadPoolExecutor(max(1, workers)) as pool:
        for s in range(0, len(paths), window):
            yield from pool.map(read_image, paths[s : s + window])


def predict(
    runner,
    samples: list[PersonSample],
    layout: KeypointLayout,
    *,
    box_scale: float = 1.25,
    flip_test: bool = True,
    decoder: str = "argmax",
    batch_size: int = 64,
    workers: int = 4,
    progress: bool = False,
) -> Predictions:
    """Run ``runner`` on every sample's box; images are read once each."""
    n, k = len(samples), layout.num_joints
    kps = np.zeros((n, k, 2), np.float32)
    scores = np.zeros((n, k), np.float32)
    areas = np.zeros(n, np.float32)
    by_image: dict[Path, list[int]] = {}
    for i, s in enumerate(samples):
        by_image.setdefault(Path(s.image), []).append(i)
    paths = list(by_image)
    cropper = Cropper(tuple(runner.input_hw), scale=box_scale)
    pending_img: list[np.ndarray] = []
    pending_inv: list[np.ndarray] = []
    pending_idx: list[int] = []

    def flush() -> None:
        if not pending_idx:
            return
        hm = run_heatmaps(runner, np.concatenate(pending_img, 0), layout.flip_pairs, flip_test)
        pts, sc = heatmaps_to_image(hm, np.concatenate(pending_inv, 0), runner.input_hw, decoder)
        kps[pending_idx], scores[pending_idx] = pts, sc
        pending_img.clear(), pending_inv.clear(), pending_idx.clear()

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n, desc="eval", unit="person", leave=False)
    for path, image in zip(paths, _images(paths, workers)):
        idx = by_image[path]
        boxes = np.stack([samples[i].box_xyxy for i in idx])
        batch = cropper(image, boxes)
        _, size = box_to_center_size(boxes, runner.input_hw[1] / runner.input_hw[0], box_scale)
        areas[idx] = size[:, 0] * size[:, 1]
        pending_img.append(batch.images)
        pending_inv.append(batch.inverse)
        pending_idx.extend(idx)
        if len(pending_idx) >= batch_size:
            flush()
        if bar is not None:
            bar.update(len(idx))
    flush()
    if bar is not None:
        bar.close()
    return Predictions(kps, scores, areas)
