"""Training checkpoints in the app's checkpoint format.

``last.pt`` holds the weights plus everything a resume needs (optimizer,
scheduler, grad scaler, epoch and step counters, best metric, config);
``best.pt`` holds the weights of the best validation epoch. Both are ordinary
poseapp checkpoints (``poseapp.runtime.save_checkpoint``): ``--weights best.pt``
works in every command, and ``num_joints`` / ``input_hw`` travel with them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch.nn as nn

from ..errors import PoseappError
from ..runtime import read_checkpoint, save_checkpoint

LAST = "last.pt"
BEST = "best.pt"


def save_training_state(model: nn.Module, out_dir: Path, model_name: str, meta: dict[str, Any], state: dict[str, Any]) -> Path:
    """Write ``last.pt`` (weights + resume state) atomically."""
    return save_checkpoint(model, out_dir / LAST, model_name, **meta, **state)


def save_best(model: nn.Module, out_dir: Path, model_name: str, meta: dict[str, Any]) -> Path:
    return save_checkpoint(model, out_dir / BEST, model_name, **meta)


def load_training_state(out_dir: Path, model_name: str, num_joints: int) -> dict[str, Any]:
    """The ``last.pt`` of a run, checked against the model being resumed."""
    path = out_dir / LAST
    if not path.is_file():
        raise PoseappError(f"nothing to resume: {path} does not exist (train without --resume first)")
    ckpt = read_checkpoint(path)
    if ckpt.get("model") != model_name or int(ckpt.get("num_joints", num_joints)) != num_joints:
        raise PoseappError(
            f"{path} is a {ckpt.get('model')} run with {ckpt.get('num_joints')} joints, not {model_name} with "
            f"{num_joints}: point train.out_dir elsewhere"
        )
    for key in ("optimizer", "scheduler", "epoch", "global_step"):
        if key not in ckpt:
            raise PoseappError(f"{path} holds weights only (no {key}): it cannot be resumed")
    return ckpt
