"""What every dataset source yields: a list of annotated persons in one layout.

A *source* reads one annotation file in its own format and returns a
``PoseSource``: persons (image file, box, joints) in a ``KeypointLayout``.
The training dataset (``topdown.py``), the evaluators and the ``eval`` command
only see ``PoseSource``; a new dataset is one function decorated with
``@register_source("name")`` (see ``coco.py``, ``mpii.py``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ...errors import PoseappError
from ..layouts import KeypointLayout


@dataclass
class PersonSample:
    """One person: where the image is, the box to crop and the labelled joints."""

    image: Path
    image_id: int | str
    box_xyxy: np.ndarray  # (4,) float32, image pixels
    joints: np.ndarray  # (K, 2) float32, image pixels (0 where unlabelled)
    visible: np.ndarray  # (K,) float32, 1 = labelled (COCO v > 0), 0 = not
    score: float = 1.0  # box score (1 for ground-truth boxes, the detector's otherwise)
    head_size: float | None = None  # PCKh normaliser in pixels (MPII)
    ann_id: int | None = None
    teacher: np.ndarray | None = None  # (K, 3) a teacher's x, y (image px) and score, when a recipe uses one


@dataclass
class PoseSource:
    """Persons of one annotation file plus what its evaluator needs."""

    name: str
    layout: KeypointLayout
    samples: list[PersonSample]
    box_scale: float = 1.25  # box -> crop enlargement (HRNet protocol)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the pycocotools COCO object

    def __len__(self) -> int:
        return len(self.samples)


@dataclass
class SourceSpec:
    """Where a source's files are (resolved paths) and how to read them."""

    type: str
    ann: Path
    images: Path
    boxes: str = "gt"  # "gt" or a detection-results JSON path
    det_score_threshold: float = 0.0
    headboxes: Path | None = None
    limit: int | None = None


SourceBuilder = Callable[[SourceSpec], PoseSource]
_SOURCES: dict[str, SourceBuilder] = {}


def register_source(name: str) -> Callable[[SourceBuilder], SourceBuilder]:
    """Decorator: ``fn(spec) -> PoseSource`` becomes the reader for ``type: name``."""

    def deco(fn: SourceBuilder) -> SourceBuilder:
        if name in _SOURCES:
            raise ValueError(f"dataset source {name!r} registered twice")
        _SOURCES[name] = fn
        return fn

    return deco


def list_sources() -> list[str]:
    return sorted(_SOURCES)


def build_source(spec: SourceSpec) -> PoseSource:
    """Read the source ``spec.type`` (checking its files first)."""
    if spec.type not in _SOURCES:
        raise PoseappError(f"unknown dataset type {spec.type!r}; choose one of: {', '.join(list_sources())}")
    if not spec.ann.is_file():
        raise PoseappError(f"annotation file {spec.ann} not found (set data.root or pass --data-root DIR)")
    if not spec.images.is_dir():
        raise PoseappError(f"image folder {spec.images} not found (set data.root or pass --data-root DIR)")
    source = _SOURCES[spec.type](spec)
    if spec.limit is not None and spec.limit < len(source.samples):
        source.samples = source.samples[: spec.limit]
        source.extra["limited"] = True  # evaluate on these persons' images only
    if not source.samples:
        raise PoseappError(f"{spec.ann} holds no usable person annotations")
    return source


def remap_samples(
    samples: list[PersonSample], mapping: dict[int, int], dst: KeypointLayout
) -> list[PersonSample]:
    """Re-express samples in layout ``dst``: ``mapping[src_joint] = dst_joint``.

    Joints of ``dst`` that no source joint maps to are unlabelled (weight 0), so a
    dataset with fewer joints (e.g. LSP's 14) can train a COCO-17 network.
    """
    out = []
    k = dst.num_joints
    for s in samples:
        joints = np.zeros((k, 2), np.float32)
        vis = np.zeros(k, np.float32)
        for a, b in mapping.items():
            joints[b] = s.joints[a]
            vis[b] = s.visible[a]
        out.append(PersonSample(s.image, s.image_id, s.box_xyxy, joints, vis, s.score, s.head_size, s.ann_id))
    return out


def read_json(path: Path) -> Any:
    import json

    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PoseappError(f"{path} is not a readable JSON file ({str(exc).splitlines()[0][:100]})") from None
