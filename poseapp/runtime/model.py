"""Build a network ready for inference: registry + weights (or seeded random init)."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from ..nets import create_model, get_spec
from .manifest import untrained_error
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


def load_model(name: str, weights: str | Path | None = None, num_joints: int = 17,
               allow_untrained: bool = False) -> LoadedModel:
    """The network ``name`` in eval mode, with ``weights`` or the shipped checkpoint.

    Without any checkpoint this is a ``WeightsError`` (an untrained network
    draws noise), unless ``allow_untrained``: then the network gets a fixed-seed
    random init, so every backend built from it computes the same (meaningless)
    heatmaps, and a warning is logged. A checkpoint that records ``input_hw``
    (trained at another input size) runs at that size.
    """
    spec = get_spec(name)
    path = Path(weights) if weights else default_weights(name)
    if path is None and not allow_untrained:
        raise untrained_error(name)
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
        # the command line shows this logger's warnings (poseapp.cli.main): one line on stderr
        log.warning("warning: no trained weights for %s: running it with random weights (keypoints are noise)", name)
        weights_id = "untrained"
    module.eval()
    return LoadedModel(name, module, path, weights_id, input_hw, num_joints)
