"""Pose runtimes (PyTorch, ONNX Runtime), ONNX export and checkpoint files.

The names below are imported on first use (PEP 562), so that importing a
torch-free submodule such as ``poseapp.runtime.manifest`` does not import torch.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "BACKENDS": "runners", "RUNNERS": "runners", "Runner": "runners", "OnnxRunner": "runners",
    "OnnxInt8Runner": "runners", "TorchRunner": "runners", "DeviceRunner": "runners", "create_runner": "runners",
    "LoadedModel": "model", "WeightsRef": "model", "load_model": "model", "locate_weights": "model",
    "export_onnx": "export", "read_metadata": "export",
    "default_weights": "weights", "load_weights": "weights", "read_checkpoint": "weights", "save_checkpoint": "weights",
    "checkpoint_meta": "weights",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
