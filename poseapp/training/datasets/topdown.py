"""The top-down training set: person -> augmented crop, Gaussian targets, weights.

HRNet ``JointsDataset.__getitem__`` in three steps: draw the crop parameters
(``augment.random_params``), warp the crop (``augment.crop_person``), encode the
targets (``targets.make_targets``). Images are read with OpenCV (BGR) and
normalised exactly as at inference (``poseapp.crop.normalize_bgr``).

With a teacher (``TeacherConfig``, samples carrying ``teacher`` keypoints) the
teacher's keypoints go through the same warp and flip as the labels, then:
- ``fill``: an unlabelled joint whose teacher score is at least ``min_score``
  gets the teacher's keypoint as its target, with the score as its weight;
  labelled joints keep the ground truth at weight 1;
- ``kd_weight`` > 0: the item also holds ``kd_target`` (Gaussians at all the
  teacher's keypoints) and ``kd_weight`` (the teacher's scores; 0 outside the map).
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from ...crop import apply_affines, normalize_bgr
from ...errors import PoseappError
from ..appearance import apply_appearance
from ..augment import crop_person, random_params
from ..config import AugmentConfig, TeacherConfig
from ..layouts import KeypointLayout
from ..targets import make_targets
from .base import PersonSample


def read_image(path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise PoseappError(f"image {path} cannot be read (missing or not an image)")
    return image


class TopDownDataset(Dataset):
    """Persons of one or more sources in one layout, as network-ready tensors."""

    def __init__(
        self,
        samples: list[PersonSample],
        layout: KeypointLayout,
        input_hw: tuple[int, int],
        hm_hw: tuple[int, int],
        augment: AugmentConfig | None,
        box_scale: float = 1.25,
        sigma: float = 2.0,
        seed: int = 0,
        teacher: TeacherConfig | None = None,
    ) -> None:
        self.samples = samples
        self.layout = layout
        self.input_hw = tuple(input_hw)
        self.hm_hw = tuple(hm_hw)
        self.augment = augment if augment is not None else AugmentConfig(enabled=False)
        self.box_scale = box_scale
        self.sigma = sigma
        self.seed = seed
        self.teacher = teacher if teacher is not None and teacher.name else None
        self.epoch = 0
        self._images: dict[str, np.ndarray] = {}

    def cache_images(self, progress: bool = False) -> int:
        """Decode every image once and keep it in memory; returns the bytes held.

        For small sets on few cores (the starter recipes: about 1.7 GB for
        LSP-extended + coco-mini): JPEG decoding is two thirds of a loader
        worker's time. Worker processes started after this share the decoded
        images copy-on-write.
        """
        from tqdm import tqdm

        paths = sorted({str(s.image) for s in self.samples})
        for p in tqdm(paths, desc="caching images", unit="image", leave=False, disable=not progress):
            if p not in self._images:
                self._images[p] = read_image(p)
        return sum(im.nbytes for im in self._images.values())

    def __len__(self) -> int:
        return len(self.samples)

    def set_epoch(self, epoch: int) -> None:
        """Reseed the augmentation (with ``persistent_workers`` off, every worker sees this)."""
        self.epoch = epoch

    def _rng(self, index: int) -> np.random.Generator:
        # one stream per (seed, epoch, sample): reproducible with any number of workers or ranks
        return np.random.default_rng((self.seed, self.epoch, index))

    def _image(self, s: PersonSample) -> np.ndarray:
        image = self._images.get(str(s.image))
        return read_image(s.image) if image is None else image

    def _appearance(self, crop: np.ndarray, index: int) -> np.ndarray:
        """Pixel augmentation (``appearance.py``) from a stream of its own: the geometry draws stay as they were."""
        a = self.augment
        if not a.enabled or not (a.occlusion_prob or a.erase_prob or a.color_prob or a.blur_prob):
            return crop
        rng = np.random.default_rng((self.seed, self.epoch, index, 1))
        donors = []
        if a.occlusion_prob > 0:
            own = self.samples[index].image
            picks = rng.integers(0, len(self.samples), max(1, a.occlusion_max))
            donors = [self._image(self.samples[int(i)]) for i in picks if self.samples[int(i)].image != own]
        return apply_appearance(crop, a, rng, donors)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        s = self.samples[index]
        image = self._image(s)
        params = random_params(s.box_xyxy, s.joints, s.visible, self.layout, self.input_hw,
                               self.box_scale, self.augment, self._rng(index))
        crop, joints, vis, affine = crop_person(image, s.joints, s.visible, params, self.input_hw, self.layout)
        crop = self._appearance(crop, index)
        item = {"image": torch.from_numpy(normalize_bgr(crop[None])[0]), "index": torch.tensor(index)}
        joint_weight = vis
        t = self.teacher
        if t is not None:
            if s.teacher is None:
                raise PoseappError(f"person {s.ann_id} of {s.image} has no teacher keypoints (teacher.name is set)")
            t_xy = apply_affines(s.teacher[None, :, :2].astype(np.float64), affine[None])[0].astype(np.float32)
            t_score = s.teacher[:, 2].astype(np.float32)
            if params.flip:
                idx = self.layout.flip_index()
                t_xy, t_score = t_xy[idx], t_score[idx]
            if t.fill:
                fill = (vis <= 0) & (t_score >= t.min_score)
                joints, joint_weight = joints.copy(), vis.copy()
                joints[fill], joint_weight[fill] = t_xy[fill], t_score[fill]
            if t.kd_weight > 0:
                kd_target, kd_mask = make_targets(t_xy, t_score > 0, self.input_hw, self.hm_hw, self.sigma)
                item["kd_target"] = torch.from_numpy(kd_target)
                item["kd_weight"] = torch.from_numpy(kd_mask * t_score)
        target, mask = make_targets(joints, joint_weight, self.input_hw, self.hm_hw, self.sigma)
        item["target"] = torch.from_numpy(target)
        item["target_weight"] = torch.from_numpy(mask * np.where(joint_weight > 0, joint_weight, 0).astype(np.float32))
        return item
