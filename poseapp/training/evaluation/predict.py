"""Top-down inference over annotated persons: the app's ``TopDownEstimator`` over a dataset.

Each image is read once; its persons' boxes go to ``TopDownEstimator.estimate_many``,
which crops, runs, flips, decodes and maps back exactly as ``Pipeline.estimate``
does, sharing forward passes across images (``batch_size`` persons at least).
The evaluation protocol only chooses: the dataset's flip pairs, flip test (on
by default, as HRNet's), the decoder and the box enlargement (by default both
the checkpoint's, as the app runs it).
"""
from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...estimator import TopDownEstimator
from ..datasets.base import PersonSample
from ..datasets.topdown import read_image
from ..layouts import KeypointLayout


@dataclass
class Predictions:
    """Keypoints of each sample, in the order of the samples."""

    keypoints: np.ndarray  # N x K x 2, image pixels
    scores: np.ndarray  # N x K, heatmap maxima
    areas: np.ndarray  # N, crop area in px^2 (OKS-NMS scale, HRNet)


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
    box_scale: float | None = None,
    flip_test: bool = True,
    decoder: str | None = None,
    batch_size: int = 64,
    workers: int = 4,
    progress: bool = False,
) -> Predictions:
    """Run ``runner`` on every sample's box; images are read once each. ``decoder`` None: the runner's spec's."""
    n, k = len(samples), layout.num_joints
    kps = np.zeros((n, k, 2), np.float32)
    scores = np.zeros((n, k), np.float32)
    areas = np.zeros(n, np.float32)
    by_image: dict[Path, list[int]] = {}
    for i, s in enumerate(samples):
        by_image.setdefault(Path(s.image), []).append(i)
    paths = list(by_image)
    estimator = TopDownEstimator(runner, decoder=decoder, flip_test=flip_test, box_scale=box_scale,
                                 flip_pairs=layout.flip_pairs)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n, desc="eval", unit="person", leave=False)
    items = ((image, np.stack([samples[i].box_xyxy for i in by_image[path]]))
             for path, image in zip(paths, _images(paths, workers)))
    for path, poses in zip(paths, estimator.estimate_many(items, batch_size)):
        idx = by_image[path]
        kps[idx], scores[idx], areas[idx] = poses.keypoints, poses.scores, poses.areas
        if bar is not None:
            bar.update(len(idx))
    if bar is not None:
        bar.close()
    return Predictions(kps, scores, areas)
