"""Find a network's weights and what they need (``WeightsRef``), and build it (``LoadedModel``).

``locate_weights`` resolves ``--model`` / ``--weights`` to a checkpoint and
reads its ``RunSpec`` without building the network: the ONNX backends need no
more when an ONNX file of those weights exists. ``load_model`` (or
``WeightsRef.load``) builds the PyTorch module with the weights loaded.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from ..codecs import RunSpec
from ..codecs.spec import layout_flip_pairs
from ..errors import PoseappError, WeightsError
from ..nets import create_model, get_spec
from .manifest import untrained_error, verified_sha256
from .weights import checkpoint_meta, default_weights, load_weights

log = logging.getLogger(__name__)

UNTRAINED_SEED = 0
_BUILD_LOCK = threading.Lock()


def default_spec(name: str, input_hw: tuple[int, int], num_joints: int) -> RunSpec:
    """Today's defaults for weights that record no ``RunSpec`` (or none at all: untrained)."""
    layout = "coco" if num_joints == 17 else ""
    return RunSpec(model=name, input_hw=(int(input_hw[0]), int(input_hw[1])), num_joints=num_joints,
                   layout=layout, flip_pairs=layout_flip_pairs(layout, num_joints))


@dataclass
class LoadedModel:
    name: str
    module: nn.Module
    weights: Path | None  # None: untrained (seeded random init)
    weights_id: str  # short content hash, or "untrained"
    input_hw: tuple[int, int]
    num_joints: int
    run_spec: RunSpec | None = None  # what the checkpoint records (None: today's defaults)

    @property
    def spec(self) -> RunSpec:
        """How to run it, at the input size this object runs at."""
        base = self.run_spec or default_spec(self.name, self.input_hw, self.num_joints)
        return base.replace(model=self.name, input_hw=tuple(int(v) for v in self.input_hw), num_joints=self.num_joints)

    def load(self) -> LoadedModel:
        return self


@dataclass(frozen=True)
class WeightsRef:
    """A network's weights found and described; the module is not built."""

    name: str
    weights: Path | None  # None: untrained
    weights_id: str
    spec: RunSpec

    @property
    def input_hw(self) -> tuple[int, int]:
        return tuple(self.spec.input_hw)

    @property
    def num_joints(self) -> int:
        return self.spec.num_joints

    def load(self) -> LoadedModel:
        """The PyTorch module with these weights (eval mode)."""
        module = _build(self.name, self.num_joints)
        if self.weights is not None:
            load_weights(module, self.weights, model_name=self.name)
        module.eval()
        return LoadedModel(self.name, module, self.weights, self.weights_id, self.input_hw, self.num_joints, self.spec)


def _build(name: str, num_joints: int) -> nn.Module:
    with _BUILD_LOCK, torch.random.fork_rng(devices=[]):  # threads may load models at once
        torch.manual_seed(UNTRAINED_SEED)
        return create_model(name, num_joints=num_joints)


def locate_weights(name: str, weights: str | Path | None = None, num_joints: int | None = None,
                   allow_untrained: bool = False, input_hw: tuple[int, int] | None = None) -> WeightsRef:
    """The checkpoint of network ``name`` (``weights`` or the shipped one) and its ``RunSpec``.

    ``num_joints``: what the caller needs (an annotation file's joint count; None: whatever the
    checkpoint predicts). Without a checkpoint this is a ``WeightsError`` unless ``allow_untrained``
    (then a one-line warning: the network will get a fixed-seed random init). ``input_hw`` runs the
    weights at another crop size (the networks are fully convolutional).
    """
    registered = get_spec(name)  # an unknown name is a one-line error
    digest = None
    if weights:
        path: Path | None = Path(weights)
        meta = checkpoint_meta(path, name)
        saved_k = int(meta.get("num_joints", num_joints or 17))
        if num_joints is not None and saved_k != num_joints:
            raise PoseappError(
                f"weights {weights} predict {saved_k} joints but the annotation file has {num_joints}: "
                "pass a checkpoint trained on this dataset"
            )
    elif num_joints not in (None, 17):
        if default_weights(name) is not None:
            raise PoseappError(
                f"the shipped {name} weights predict the 17 COCO joints; pass --weights trained on this "
                f"{num_joints}-joint dataset"
            )
        if not allow_untrained:
            raise WeightsError(
                f"no {num_joints}-joint weights for {name}: pass --weights trained on this dataset, "
                "or add --allow-untrained to score random weights"
            )
        path, meta, saved_k = None, {}, num_joints
        log.warning("warning: no %d-joint weights for %s: scoring random weights (keypoints are noise)", num_joints, name)
    else:
        path = default_weights(name)
        if path is None and not allow_untrained:
            raise untrained_error(name)
        # a damaged shipped file is one line (the manifest's hash) before torch reads it
        digest = verified_sha256(path) if path is not None else None
        meta = checkpoint_meta(path, name) if path is not None else {}
        saved_k = int(meta.get("num_joints", 17))
    if path is not None:
        spec = RunSpec.from_checkpoint_meta({"num_joints": saved_k, **meta}, name, registered.input_hw)
        spec = spec.replace(model=name)
        weights_id = (digest or verified_sha256(path))[:12]  # a shipped file must match the manifest
    else:
        if num_joints in (None, 17):
            # the command line shows this logger's warnings (poseapp.cli.main): one line on stderr
            log.warning("warning: no trained weights for %s: running it with random weights (keypoints are noise)", name)
        spec = default_spec(name, registered.input_hw, saved_k)
        weights_id = "untrained"
    if input_hw is not None:
        spec = spec.with_overrides(input_hw=input_hw)
    return WeightsRef(name, path, weights_id, spec)


def load_model(name: str, weights: str | Path | None = None, num_joints: int = 17,
               allow_untrained: bool = False) -> LoadedModel:
    """The network ``name`` in eval mode, with ``weights`` or the shipped checkpoint.

    Without any checkpoint this is a ``WeightsError`` (an untrained network
    draws noise), unless ``allow_untrained``: then the network gets a fixed-seed
    random init, so every backend built from it computes the same (meaningless)
    heatmaps, and a warning is logged. A checkpoint runs as its ``RunSpec`` says
    (e.g. at the input size it was trained at).
    """
    spec = get_spec(name)
    path = Path(weights) if weights else default_weights(name)
    if path is None and not allow_untrained:
        raise untrained_error(name)
    module = _build(name, num_joints)
    run_spec = None
    input_hw = spec.input_hw
    if path is not None:
        weights_id = verified_sha256(path)[:12]  # a shipped file must match the manifest (before torch reads it)
        meta = load_weights(module, path, model_name=name)
        run_spec = RunSpec.from_checkpoint_meta({"num_joints": num_joints, **meta}, name, spec.input_hw).replace(model=name)
        input_hw = run_spec.input_hw
    else:
        # the command line shows this logger's warnings (poseapp.cli.main): one line on stderr
        log.warning("warning: no trained weights for %s: running it with random weights (keypoints are noise)", name)
        weights_id = "untrained"
    module.eval()
    return LoadedModel(name, module, path, weights_id, tuple(input_hw), num_joints, run_spec)


def with_input_hw(loaded, input_hw: tuple[int, int] | None):
    """``loaded`` (a ``LoadedModel`` or ``WeightsRef``) run at ``input_hw`` (None: unchanged)."""
    if input_hw is None:
        return loaded
    hw = (int(input_hw[0]), int(input_hw[1]))
    if isinstance(loaded, WeightsRef):
        return dataclasses.replace(loaded, spec=loaded.spec.with_overrides(input_hw=hw))
    return dataclasses.replace(loaded, input_hw=hw)
