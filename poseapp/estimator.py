"""The one top-down estimator: person boxes -> crops -> batched network -> flip test -> decode -> image pixels.

``Pipeline`` (so ``annotate``, ``bench`` and the desktop app) and ``poseapp
eval`` (and validation while training) all run ``TopDownEstimator``: the AP we
publish is measured on the code path users run. It is built from a runner and
the ``RunSpec`` of its weights (``runner.spec``: input size, normalisation,
flip pairs, box enlargement, decoder, flip-test default); ``decoder`` and
``flip_test`` given here override the spec, as ``--decoder`` and ``--flip`` do.

Stages (HRNet / SimpleBaseline protocol):
1. ``crop``: box centre, padded to the input aspect, x ``box_scale``, one affine warp per person;
2. ``heatmaps``: one forward pass; with flip test the mirrored crops go in the same pass and their
   maps are mirrored back, left/right swapped and shifted ``1 - 1 / stride`` pixel onto the joints
   (``poseapp.codecs.flip_back``), then averaged;
3. ``decode``: the codec's decoder in heatmap pixels, scaled by the stride and mapped back through
   each crop's inverse affine.

``estimate`` does one image; ``estimate_many`` runs persons of consecutive images
in shared forward passes (evaluation feeds whole datasets that way).
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from .codecs import RunSpec, flip_back
from .codecs.spec import layout_flip_pairs
from .crop import CropBatch, Cropper, heatmap_to_image


@dataclass
class Estimate:
    """The estimator's arrays for the boxes of one call; ``Pipeline`` joins them with the tracker's
    boxes, scores and ids into a frame's ``poseapp.poses.Poses``."""

    keypoints: np.ndarray  # N x K x 2, image pixels
    scores: np.ndarray  # N x K, keypoint scores (heatmap values)
    areas: np.ndarray  # N, crop window area in px^2 (the OKS-NMS scale of HRNet)
    timings_ms: dict[str, float] = field(default_factory=dict)  # crop, pose, decode

    def __len__(self) -> int:
        return int(self.keypoints.shape[0])


def runner_spec(runner) -> RunSpec:
    """The runner's ``RunSpec``; a bare runner (only ``input_hw`` / ``num_joints``) gets today's defaults."""
    spec = getattr(runner, "spec", None)
    hw = tuple(int(v) for v in runner.input_hw)
    if spec is not None:
        return spec if tuple(spec.input_hw) == hw else spec.replace(input_hw=hw)
    k = int(getattr(runner, "num_joints", 17))
    return RunSpec(model=str(getattr(runner, "name", "")), input_hw=hw, num_joints=k,
                   layout="coco" if k == 17 else "", flip_pairs=layout_flip_pairs("coco", k))


class TopDownEstimator:
    """Keypoints of person boxes with one runner (see the module docstring)."""

    def __init__(self, runner, spec: RunSpec | None = None, *, decoder: str | None = None,
                 flip_test: bool | None = None, box_scale: float | None = None,
                 flip_pairs: tuple[tuple[int, int], ...] | None = None, max_batch: int | None = 32) -> None:
        base = spec if spec is not None else runner_spec(runner)
        base = base.with_overrides(decoder=decoder, flip_test=flip_test, input_hw=tuple(runner.input_hw))
        if box_scale is not None:
            base = base.replace(box_scale=float(box_scale))
        if flip_pairs is not None:
            base = base.replace(flip_pairs=tuple(tuple(p) for p in flip_pairs))
        self.runner = runner
        self.spec = base
        self.max_batch = max_batch
        self.cropper = Cropper.from_spec(base)

    @property
    def decoder(self) -> str:
        return self.spec.codec.decoder

    @property
    def flip_test(self) -> bool:
        return self.spec.codec.flip_test

    @property
    def num_joints(self) -> int:
        return int(getattr(self.runner, "num_joints", self.spec.num_joints))

    # ---- stages ----
    def crop(self, image_bgr: np.ndarray, boxes_xyxy: np.ndarray) -> CropBatch:
        return self.cropper(image_bgr, boxes_xyxy)

    def heatmaps(self, images: np.ndarray) -> np.ndarray:
        """``N x K x h x w`` heatmaps of ``N x 3 x H x W`` crops in one forward pass (flip test included)."""
        if not self.flip_test:
            return self.runner(images)
        n = images.shape[0]
        both = self.runner(np.concatenate([images, images[..., ::-1]], 0))
        stride = images.shape[3] / both.shape[3]
        return (both[:n] + flip_back(both[n:], pairs=self.spec.flip_pairs, stride=stride)) * 0.5

    def decode(self, heatmaps: np.ndarray, inverse: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image-pixel keypoints (N x K x 2) and scores (N x K) of heatmaps and their crops' inverse affines."""
        coords, scores = self.spec.codec.decode(heatmaps)
        h, w = self.spec.input_hw
        stride = (w / heatmaps.shape[3], h / heatmaps.shape[2])
        return heatmap_to_image(coords, inverse, stride), scores

    def _empty(self) -> tuple[np.ndarray, np.ndarray]:
        k = self.num_joints
        return np.zeros((0, k, 2), np.float32), np.zeros((0, k), np.float32)

    # ---- whole calls ----
    def estimate_crops(self, batch: CropBatch, max_batch: int | None = -1) -> tuple[np.ndarray, np.ndarray, float, float]:
        """``(keypoints, scores, network ms, decode ms)`` of a crop batch; the network sees at most
        ``max_batch`` persons a pass (-1: the estimator's ``max_batch``; None: all in one pass)."""
        limit = self.max_batch if max_batch == -1 else max_batch
        n = len(batch)
        t0 = time.perf_counter()
        if n == 0:
            return (*self._empty(), 0.0, 0.0)
        step = n if not limit else int(limit)
        parts = [self.heatmaps(batch.images[s : s + step]) for s in range(0, n, step)]
        hm = parts[0] if len(parts) == 1 else np.concatenate(parts, 0)
        t1 = time.perf_counter()
        kps, scores = self.decode(hm, batch.inverse)
        t2 = time.perf_counter()
        return kps, scores, (t1 - t0) * 1e3, (t2 - t1) * 1e3

    def estimate(self, image_bgr: np.ndarray, boxes_xyxy: np.ndarray) -> Estimate:
        """The persons in ``boxes_xyxy`` (N x 4, image pixels) of one BGR image."""
        t0 = time.perf_counter()
        batch = self.crop(image_bgr, boxes_xyxy)
        crop_ms = (time.perf_counter() - t0) * 1e3
        kps, scores, pose_ms, decode_ms = self.estimate_crops(batch)
        return Estimate(kps, scores, _areas(batch), {"crop": crop_ms, "pose": pose_ms, "decode": decode_ms})

    def estimate_many(self, items: Iterable[tuple[np.ndarray, np.ndarray]], batch_size: int = 64) -> Iterator[Estimate]:
        """The ``Estimate`` of each ``(image, boxes)`` in order. Persons of consecutive images share a forward
        pass, which runs once at least ``batch_size`` persons wait (the last one on what is left)."""
        pending: list[CropBatch] = []
        waiting = 0
        for image, boxes in items:
            batch = self.crop(image, boxes)
            pending.append(batch)
            waiting += len(batch)
            if waiting >= batch_size:
                yield from self._flush(pending)
                pending, waiting = [], 0
        if pending:
            yield from self._flush(pending)

    def _flush(self, pending: list[CropBatch]) -> Iterator[Estimate]:
        kps, scores, _, _ = self.estimate_crops(CropBatch.concat(pending), max_batch=None)
        s = 0
        for b in pending:
            n = len(b)
            yield Estimate(kps[s : s + n], scores[s : s + n], _areas(b))
            s += n


def _areas(batch: CropBatch) -> np.ndarray:
    if batch.sizes_wh is None:
        return np.zeros(len(batch), np.float32)
    return (batch.sizes_wh[:, 0] * batch.sizes_wh[:, 1]).astype(np.float32)
