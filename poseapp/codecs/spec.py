"""How to run a checkpoint: the record every checkpoint, manifest entry and ONNX file carries.

As a timm ``pretrained_cfg`` or an MMPose codec config, ``RunSpec`` says what
the weights need: the network, the crop (input size, box enlargement), the
normalisation, the keypoint layout and its left/right flip pairs, and the
``HeatmapCodec`` (heatmap stride, target sigma, the decoder and its parameters,
whether flip test is on by default). The runtime builds its cropper, decoder
and flip test from it (``poseapp.estimator.TopDownEstimator``); ``--decoder``
and ``--flip`` only override it.

Stored as plain data: ``RunSpec.to_dict()`` under the checkpoint key
``run_spec`` (and in the manifest entry), and as JSON under the ONNX metadata
key ``run_spec``. A checkpoint or ONNX file written before this record existed
reads as today's defaults (``RunSpec.from_checkpoint_meta`` /
``from_onnx_metadata``): argmax, no flip test, stride 4, sigma 2, COCO-17 flip
pairs, ImageNet mean/std, box x1.25.

Torch-free: ``poseapp --help`` and the ONNX backends read it without PyTorch.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .heatmap import COCO_FLIP_PAIRS, DECODERS, decode

IMAGENET_MEAN = (0.485, 0.456, 0.406)  # RGB, 0-1
IMAGENET_STD = (0.229, 0.224, 0.225)
SPEC_VERSION = 1
SPEC_KEY = "run_spec"  # checkpoint key (a dict) and ONNX metadata_props key (JSON) of ``RunSpec.to_dict()``


@dataclass(frozen=True)
class HeatmapCodec:
    """Gaussian heatmaps at ``1 / stride`` of the input, read back by ``decoder``.

    ``decoder_params`` are keyword arguments of that decoder (``beta``: ``beta``;
    ``dark``: ``kernel``); a decoder chosen by override runs with its own defaults.
    ``flip_test``: average with the mirrored crop's heatmaps unless told otherwise.
    """

    stride: int = 4
    sigma: float = 2.0
    decoder: str = "argmax"
    decoder_params: Mapping[str, float | int] = field(default_factory=dict)
    flip_test: bool = False

    def __post_init__(self) -> None:
        if self.decoder not in DECODERS:
            raise ValueError(f"unknown decoder {self.decoder!r}; choose one of: {', '.join(DECODERS)}")

    def params_for(self, decoder: str) -> dict:
        return dict(self.decoder_params) if decoder == self.decoder else {}

    def decode(self, heatmaps: np.ndarray, decoder: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(coords N x K x 2 in heatmap pixels, scores N x K)`` with ``decoder`` (default: this codec's)."""
        name = decoder or self.decoder
        return decode(heatmaps, name, **self.params_for(name))

    def to_dict(self) -> dict:
        return {"stride": int(self.stride), "sigma": float(self.sigma), "decoder": self.decoder,
                "decoder_params": dict(self.decoder_params),
                "flip_test": bool(self.flip_test)}

    @classmethod
    def from_dict(cls, d: Mapping) -> HeatmapCodec:
        return cls(stride=int(d.get("stride", 4)), sigma=float(d.get("sigma", 2.0)),
                   decoder=str(d.get("decoder", "argmax")), decoder_params=dict(d.get("decoder_params") or {}),
                   flip_test=bool(d.get("flip_test", False)))


def _pairs(pairs) -> tuple[tuple[int, int], ...]:
    return tuple((int(a), int(b)) for a, b in pairs)


def layout_flip_pairs(layout: str, num_joints: int) -> tuple[tuple[int, int], ...]:
    """The flip pairs of a registered keypoint layout with ``num_joints`` joints (else none known: ())."""
    from ..training.layouts import LAYOUTS  # numpy only; imported here, it imports this package

    known = LAYOUTS.get(layout)
    if known is not None and known.num_joints == num_joints:
        return known.flip_pairs
    return COCO_FLIP_PAIRS if num_joints == 17 else ()


@dataclass(frozen=True)
class RunSpec:
    """Everything needed to run one set of weights top-down (see the module docstring)."""

    model: str = ""
    input_hw: tuple[int, int] = (256, 192)
    num_joints: int = 17
    layout: str = "coco"
    flip_pairs: tuple[tuple[int, int], ...] = COCO_FLIP_PAIRS
    mean_rgb: tuple[float, float, float] = IMAGENET_MEAN
    std_rgb: tuple[float, float, float] = IMAGENET_STD
    box_scale: float = 1.25
    codec: HeatmapCodec = field(default_factory=HeatmapCodec)

    # ---- changes ----
    def replace(self, **changes) -> RunSpec:
        return dataclasses.replace(self, **changes)

    def with_overrides(self, decoder: str | None = None, flip_test: bool | None = None,
                       input_hw: tuple[int, int] | None = None) -> RunSpec:
        """This spec with explicit choices (``--decoder``, ``--flip``, ``--input``) in place of its defaults."""
        codec = self.codec
        if decoder is not None and decoder != codec.decoder:
            codec = dataclasses.replace(codec, decoder=decoder, decoder_params={})
        if flip_test is not None:
            codec = dataclasses.replace(codec, flip_test=bool(flip_test))
        hw = self.input_hw if input_hw is None else (int(input_hw[0]), int(input_hw[1]))
        return dataclasses.replace(self, codec=codec, input_hw=hw)

    # ---- plain data ----
    def to_dict(self) -> dict:
        return {
            "version": SPEC_VERSION,
            "model": self.model,
            "input_hw": [int(v) for v in self.input_hw],
            "num_joints": int(self.num_joints),
            "layout": self.layout,
            "flip_pairs": [[int(a), int(b)] for a, b in self.flip_pairs],
            "mean_rgb": [float(v) for v in self.mean_rgb],
            "std_rgb": [float(v) for v in self.std_rgb],
            "box_scale": float(self.box_scale),
            "codec": self.codec.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> RunSpec:
        k = int(d.get("num_joints", 17))
        layout = str(d.get("layout", "coco"))
        pairs = d.get("flip_pairs")
        return cls(
            model=str(d.get("model", "")),
            input_hw=tuple(int(v) for v in d.get("input_hw", (256, 192))),
            num_joints=k,
            layout=layout,
            flip_pairs=_pairs(pairs) if pairs is not None else layout_flip_pairs(layout, k),
            mean_rgb=tuple(float(v) for v in d.get("mean_rgb", IMAGENET_MEAN)),
            std_rgb=tuple(float(v) for v in d.get("std_rgb", IMAGENET_STD)),
            box_scale=float(d.get("box_scale", 1.25)),
            codec=HeatmapCodec.from_dict(d.get("codec") or {}),
        )

    @classmethod
    def from_checkpoint_meta(cls, meta: Mapping, model: str = "", default_hw: tuple[int, int] = (256, 192)) -> RunSpec:
        """The spec a checkpoint records; older checkpoints (no ``run_spec``) get today's defaults
        with their ``num_joints``, ``input_hw`` and ``layout``."""
        if meta.get(SPEC_KEY):
            spec = cls.from_dict(meta[SPEC_KEY])
            return spec if spec.model else spec.replace(model=str(meta.get("model") or model))
        k = int(meta.get("num_joints", 17))
        layout = str(meta.get("layout") or ("coco" if k == 17 else ""))
        hw = meta.get("input_hw") or default_hw
        return cls(model=str(meta.get("model") or model), input_hw=(int(hw[0]), int(hw[1])), num_joints=k,
                   layout=layout, flip_pairs=layout_flip_pairs(layout, k))

    def to_onnx_metadata(self) -> dict[str, str]:
        """ONNX ``metadata_props``: the legacy keys older readers know, and the whole spec as JSON."""
        return {"model": self.model, "input_h": str(self.input_hw[0]), "input_w": str(self.input_hw[1]),
                "num_keypoints": str(self.num_joints), SPEC_KEY: json.dumps(self.to_dict(), sort_keys=True)}

    @classmethod
    def from_onnx_metadata(cls, meta: Mapping[str, str], fallback_name: str = "") -> RunSpec:
        if meta.get(SPEC_KEY):
            return cls.from_dict(json.loads(meta[SPEC_KEY]))
        k = int(meta.get("num_keypoints", 17))
        return cls(model=meta.get("model", fallback_name),
                   input_hw=(int(meta.get("input_h", 256)), int(meta.get("input_w", 192))), num_joints=k,
                   layout="coco" if k == 17 else "", flip_pairs=layout_flip_pairs("coco", k))

    # ---- what the runtime derives ----
    @property
    def mean_rgb_255(self) -> np.ndarray:
        return np.array(self.mean_rgb, np.float32) * 255.0

    @property
    def std_rgb_255(self) -> np.ndarray:
        return np.array(self.std_rgb, np.float32) * 255.0

    def describe(self) -> str:
        c = self.codec
        return (f"{self.input_hw[0]}x{self.input_hw[1]}, {c.decoder} decoder, flip test {'on' if c.flip_test else 'off'}")
