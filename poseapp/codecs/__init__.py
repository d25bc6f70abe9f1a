"""Keypoint representation: heatmap targets (encode) and decoders (decode).

Training and inference share this module, so the target the network learns and
the way its output is read cannot drift apart (the MMPose codec idea).
"""
from .heatmap import (
    DECODERS,
    COCO_FLIP_PAIRS,
    decode,
    decode_argmax_quarter,
    decode_beta_soft_argmax,
    decode_dark,
    encode_gaussian,
    flip_back,
    flip_index,
)
from .spec import IMAGENET_MEAN, IMAGENET_STD, HeatmapCodec, RunSpec

__all__ = [
    "DECODERS",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "HeatmapCodec",
    "RunSpec",
    "COCO_FLIP_PAIRS",
    "decode",
    "decode_argmax_quarter",
    "decode_beta_soft_argmax",
    "decode_dark",
    "encode_gaussian",
    "flip_back",
    "flip_index",
]
