"""Runners for evaluation: the app's runtime, for any joint count and input size.

``poseapp eval`` goes through ``poseapp.runtime`` exactly as the app does
(``create_runner`` for COCO-17 networks, which runs a checkpoint at the input
size it records; for other joint counts the same ``load_model`` +
``TorchRunner`` / ``OnnxRunner`` pieces with the checkpoint's joint count). Validation during training wraps the
network being trained in ``DeviceRunner``, a ``TorchRunner`` that also moves
the batch to the training device.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from ...errors import PoseappError, WeightsError
from ...nets import get_spec
from ...runtime import OnnxRunner, TorchRunner, create_runner, default_weights, load_model, read_checkpoint
from ...runtime.model import LoadedModel
from ...runtime.runners import onnx_path_for


def checkpoint_meta(weights: str | Path | None) -> dict:
    """A checkpoint's metadata (``num_joints``, ``input_hw``, ...) without its tensors."""
    if not weights:
        return {}
    return {k: v for k, v in read_checkpoint(weights).items() if k not in ("state_dict", "optimizer")}


def build_runner(model: str, backend: str = "torch", weights: str | Path | None = None,
                 num_joints: int = 17, threads: int = 0, allow_untrained: bool = False):
    """A runner for ``model`` predicting ``num_joints`` joints (what the annotation file needs).

    Without ``weights`` and without a shipped checkpoint (or for another joint
    count than the shipped one's 17) it is a ``WeightsError`` unless
    ``allow_untrained`` (random init, as in ``load_model``).
    """
    get_spec(model)  # an unknown model name is a one-line error
    meta = checkpoint_meta(weights)
    saved_k = int(meta.get("num_joints", num_joints))
    if saved_k != num_joints:
        raise PoseappError(
            f"weights {weights} predict {saved_k} joints but the annotation file has {num_joints}: "
            "pass a checkpoint trained on this dataset"
        )
    if not weights and num_joints != 17 and default_weights(model) is not None:
        raise PoseappError(
            f"the shipped {model} weights predict the 17 COCO joints; pass --weights trained on this "
            f"{num_joints}-joint dataset"
        )
    if num_joints == 17:  # the app's path (input size from the checkpoint)
        return create_runner(model, backend, weights, threads, allow_untrained=allow_untrained)
    if backend not in ("torch", "onnx"):
        raise PoseappError(f"unknown backend {backend!r}; choose one of: torch, onnx")
    if not weights and not allow_untrained:
        raise WeightsError(
            f"no {num_joints}-joint weights for {model}: pass --weights trained on this dataset, "
            "or add --allow-untrained to score random weights"
        )
    loaded = load_model(model, weights, num_joints=num_joints) if weights else _untrained(model, num_joints)
    if backend == "torch":
        if threads > 0:
            torch.set_num_threads(threads)
        return TorchRunner(loaded)
    return OnnxRunner(onnx_path_for(loaded), threads=threads)


def _untrained(model: str, num_joints: int) -> LoadedModel:
    """``load_model`` without a checkpoint (it would pick the shipped COCO one)."""
    from ...nets import create_model
    from ...runtime.model import UNTRAINED_SEED, log

    log.warning("warning: no %d-joint weights for %s: scoring random weights (keypoints are noise)", num_joints, model)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(UNTRAINED_SEED)
        module = create_model(model, num_joints=num_joints).eval()
    return LoadedModel(model, module, None, "untrained", get_spec(model).input_hw, num_joints)


class DeviceRunner(TorchRunner):
    """``TorchRunner`` over a network that lives on ``device`` (validation while training)."""

    backend = "torch"

    def __init__(self, module: nn.Module, name: str, input_hw: tuple[int, int], num_joints: int,
                 device: torch.device, channels_last: bool = True) -> None:
        loaded = LoadedModel(name, module, None, "training", tuple(input_hw), num_joints)
        super().__init__(loaded, channels_last=channels_last)
        self.device = device

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)).to(self.device, non_blocking=True)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            return self.module(x).float().cpu().contiguous().numpy()
