"""Build a network ready for inference: registry + weights (or seeded random init)."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from ..nets import create_model, get_spec
from .weights import default_weights, load_weights, sha256_of

log = logging.getLogger(__name__)

UNTRAINED_SEED = 0
_BUILD_LOCK = threading.Lock()


@dataclass
class LoadedModel:
    name: str
    module: nn.Module
    weights: Path | None  # None: untrained (seeded random init)
    weights_id: str  # short content hash, or "untrained"
    input_hw: tuple[int, int]
    num_joints: int


def load_model(name: str, weights: str | Path | None = None, num_joints: int = 17) -> LoadedModel:
    """The network ``name`` in eval mode, with ``weights`` or the shipped checkpoint.

    Without any checkpoint the network gets a fixed-seed random init, so every
    backend built from it computes the same (meaningless) heatmaps. A checkpoint
    that records ``input_hw`` (trained at another input size) runs at that size.
    """
    spec = get_spec(name)
    path = Path(weights) if weights else default_weights(name)
    with _BUILD_LOCK, torch.random.fork_rng(devices=[]):  # threads may load models at once
        torch.manual_seed(UNTRAINED_SEED)
        module = create_model(name, num_joints=num_joints)
    input_hw = spec.input_hw
    if path is not None:
        meta = load_weights(module, path, model_name=name)
        weights_id = sha256_of(path, 12)
        # a checkpoint trained at another input size runs at that size
        if meta.get("input_hw"):
            input_hw = (int(meta["input_hw"][0]), int(meta["input_hw"][1]))
    else:
        log.warning("no trained weights for %s: using an untrained network (keypoints will be noise)", name)
        weights_id = "untrained"
    module.eval()
    return LoadedModel(name, module, path, weights_id, input_hw, num_joints)
