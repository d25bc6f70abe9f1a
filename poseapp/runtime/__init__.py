"""Pose runtimes (PyTorch, ONNX Runtime), ONNX export and checkpoint files."""
from .export import export_onnx, read_metadata
from .model import LoadedModel, load_model
from .runners import BACKENDS, OnnxRunner, TorchRunner, create_runner
from .weights import default_weights, load_weights, read_checkpoint, save_checkpoint

__all__ = [
    "BACKENDS", "LoadedModel", "OnnxRunner", "TorchRunner", "create_runner", "default_weights",
    "export_onnx", "load_model", "load_weights", "read_checkpoint", "read_metadata", "save_checkpoint",
]
