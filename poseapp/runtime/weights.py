"""Checkpoint files: where the shipped ones live and how any one is loaded.

A checkpoint is a ``torch.save``d dict ``{"model": name, "state_dict": {...},
"num_joints": K, "input_hw": [H, W], "layout": ..., "run_spec": {...}, ...}``;
``run_spec`` (``poseapp.codecs.RunSpec.to_dict()``) says how to run it, and a
checkpoint without one runs with today's defaults. A bare state dict is accepted too.
Tensors may be stored in fp16 and are cast to the model's dtype on load.
Loading always uses ``torch.load(..., weights_only=True)``.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn as nn

from ..errors import PoseappError, WeightsError
# the torch-free manifest helpers, re-exported: callers import them from here too
from .manifest import AP_SETS, default_weights, models_dir, read_manifest, sha256_of, shipped_ap  # noqa: F401


def read_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint dict (``state_dict`` and metadata) or fail with one line."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {path} not found: pass an existing .pt checkpoint with --weights")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated, not a zip/pickle, unsafe content...
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightsError(
            f"weights file {path} is not a readable PyTorch checkpoint ({reason[:120]}); "
            "re-download or re-export it"
        ) from None
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        return obj
    if isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return {"state_dict": obj}
    raise WeightsError(f"weights file {path} holds no state dict: expected a checkpoint saved by poseapp")


def checkpoint_meta(path: str | os.PathLike, model_name: str | None = None) -> dict:
    """A checkpoint's metadata (``num_joints``, ``input_hw``, ``run_spec``, ...) without its tensors,
    checked to be for ``model_name``."""
    ckpt = read_checkpoint(path)
    check_model_name(ckpt, path, model_name)
    return {k: v for k, v in ckpt.items() if k not in ("state_dict", "optimizer", "scheduler", "scaler", "ema")}


def check_model_name(ckpt: dict, path: str | os.PathLike, model_name: str | None) -> None:
    saved_for = ckpt.get("model")
    if model_name and saved_for and saved_for != model_name:
        raise WeightsError(
            f"weights file {path} is for model {saved_for!r}, not {model_name!r}: pass --model {saved_for}"
        )


def load_weights(model: nn.Module, path: str | os.PathLike, model_name: str | None = None) -> dict:
    """Load ``path`` into ``model`` strictly; return the checkpoint's metadata."""
    ckpt = read_checkpoint(path)
    check_model_name(ckpt, path, model_name)
    state = ckpt["state_dict"]
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [k for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or wrong:
        example = (missing or unexpected or wrong)[0]
        raise WeightsError(
            f"weights file {path} does not fit model {model_name or type(model).__name__}: "
            f"{len(missing)} missing, {len(unexpected)} unexpected, {len(wrong)} wrong-shape tensors "
            f"(e.g. {example}); pass the checkpoint trained for this model"
        )
    cast = {k: v.to(own[k].dtype) if v.is_floating_point() else v for k, v in state.items()}
    model.load_state_dict(cast, strict=True)
    return {k: v for k, v in ckpt.items() if k != "state_dict"}


def save_checkpoint(model: nn.Module, path: str | os.PathLike, model_name: str, half: bool = False, **meta) -> Path:
    """Save ``model`` as a poseapp checkpoint (optionally in fp16), atomically.

    The checkpoint says how to run it: ``run_spec`` (a ``poseapp.codecs.RunSpec`` or its dict; without
    one, today's defaults with the ``num_joints`` / ``input_hw`` / ``layout`` given)."""
    from ..codecs.spec import SPEC_KEY, RunSpec

    spec = meta.pop(SPEC_KEY, None)
    if spec is None:
        spec = RunSpec.from_checkpoint_meta({**meta, "model": model_name}, model_name, _registry_hw(model_name))
    elif not isinstance(spec, RunSpec):
        spec = RunSpec.from_dict(spec)
    meta[SPEC_KEY] = spec.replace(model=spec.model or model_name).to_dict()
    meta.setdefault("num_joints", spec.num_joints)
    meta.setdefault("input_hw", list(spec.input_hw))
    if spec.layout:
        meta.setdefault("layout", spec.layout)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: (v.half() if half and v.is_floating_point() else v).detach().cpu().clone()
             for k, v in model.state_dict().items()}
    tmp = path.with_name(path.name + ".part")
    torch.save({"model": model_name, "state_dict": state, **meta}, tmp)
    os.replace(tmp, path)
    return path


def _registry_hw(model_name: str) -> tuple[int, int]:
    from ..nets import get_spec

    try:
        return tuple(get_spec(model_name).input_hw)
    except PoseappError:
        return (256, 192)
