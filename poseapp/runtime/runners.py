"""Pose runtimes behind one interface: ``runner(batch N x 3 x H x W) -> N x K x h x w``.

``TorchRunner`` runs the network eagerly (inference mode, channels-last);
``OnnxRunner`` runs the exported graph with ONNX Runtime. ``create_runner``
builds either from a model name; ONNX files are exported once into a cache
folder keyed by model and weights, and sessions are cached per file.
"""
from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path

import numpy as np
import torch

from ..defaults import BACKENDS  # ("torch", "onnx", "onnx-int8"); onnx-int8: static int8 (runtime/quantize.py)
from ..errors import PoseappError
from .export import export_onnx, read_metadata
from .model import LoadedModel, load_model


def cache_dir() -> Path:
    env = os.environ.get("POSEAPP_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "poseapp"
    return base / "onnx"


class TorchRunner:
    backend = "torch"

    def __init__(self, loaded: LoadedModel, channels_last: bool = True) -> None:
        self.loaded = loaded
        self.name = loaded.name
        self.input_hw = loaded.input_hw
        self.num_joints = loaded.num_joints
        self.module = loaded.module.eval()
        self.channels_last = channels_last
        if channels_last:
            self.module = self.module.to(memory_format=torch.channels_last)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            return self.module(x).float().contiguous().numpy()


_SESSIONS: dict[tuple[str, int], "object"] = {}
_SESSIONS_LOCK = threading.Lock()


def _session(path: Path, threads: int):
    import onnxruntime as ort

    key = (str(path.resolve()), threads)
    with _SESSIONS_LOCK:
        sess = _SESSIONS.get(key)
        if sess is None:
            opts = ort.SessionOptions()
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            if threads > 0:
                opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            # no busy-waiting between runs: the detector's and the pose model's thread
            # pools alternate every frame (measured: 12.6 -> 15.5 FPS end to end)
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            try:
                sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            except Exception as exc:
                raise PoseappError(f"ONNX file {path} cannot be loaded ({str(exc).splitlines()[0][:120]}); re-export it with 'poseapp export'") from None
            _SESSIONS[key] = sess
        return sess


class OnnxRunner:
    def __init__(self, onnx_path: str | os.PathLike, threads: int = 0, backend: str = "onnx") -> None:
        self.backend = backend
        self.path = Path(onnx_path)
        meta = read_metadata(self.path)
        self.name = meta.get("model", self.path.stem)
        self.input_hw = (int(meta.get("input_h", 256)), int(meta.get("input_w", 192)))
        self.num_joints = int(meta.get("num_keypoints", 17))
        self.session = _session(self.path, threads)
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(batch, dtype=np.float32)
        return self.session.run(None, {self.input_name: x})[0]


def onnx_path_for(loaded: LoadedModel) -> Path:
    """The cached ONNX file of ``loaded``, exported on first use."""
    h, w = loaded.input_hw
    path = cache_dir() / f"{loaded.name}-{loaded.weights_id}-k{loaded.num_joints}-{h}x{w}.onnx"
    if not path.is_file():
        export_onnx(loaded, path)
    return path


def create_runner(model: str, backend: str = "torch", weights: str | Path | None = None, threads: int = 0,
                  input_hw: tuple[int, int] | None = None, allow_untrained: bool = False):
    """A runner for the registered network ``model`` on ``backend`` ('torch', 'onnx' or 'onnx-int8').

    ``input_hw`` runs the network at another crop size than its checkpoint's
    (the networks are fully convolutional), e.g. the papers' 256x192 in ``bench``.
    ``allow_untrained``: as in ``load_model``.
    """
    if backend not in BACKENDS:
        raise PoseappError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    loaded = load_model(model, weights, allow_untrained=allow_untrained)
    if input_hw is not None:
        loaded = dataclasses.replace(loaded, input_hw=(int(input_hw[0]), int(input_hw[1])))
    if backend == "torch":
        if threads > 0:
            torch.set_num_threads(threads)
        return TorchRunner(loaded)
    if backend == "onnx-int8":
        from .quantize import int8_path_for

        return OnnxRunner(int8_path_for(loaded), threads=threads, backend=backend)
    return OnnxRunner(onnx_path_for(loaded), threads=threads)
