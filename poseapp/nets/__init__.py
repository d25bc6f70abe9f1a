"""Pose networks. Importing this package registers every network."""
from __future__ import annotations

from . import danet, litehrnet, lpn, sfm  # noqa: F401  (registration side effects)
from .flops import count_macs, count_params
from .registry import ModelSpec, UnknownModelError, create_model, get_spec, list_models, register_model

__all__ = [
    "ModelSpec",
    "UnknownModelError",
    "count_macs",
    "count_params",
    "create_model",
    "get_spec",
    "list_models",
    "register_model",
]
