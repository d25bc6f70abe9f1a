"""Pose runtimes behind one interface: ``runner(batch N x 3 x H x W) -> N x K x h x w``.

Every runner has ``backend``, ``name``, ``input_hw``, ``num_joints`` and ``spec``
(the ``RunSpec`` of its weights) and is called on a float32 batch. ``RUNNERS``
maps each backend name to its class; ``create_runner`` finds the weights
(``locate_weights``: checkpoint and ``RunSpec``, no module built) and asks the
class for a runner (``from_weights``):

- ``torch`` (``TorchRunner``): the PyTorch module, eager, inference mode, channels-last;
- ``onnx`` (``OnnxRunner``): ONNX Runtime on the fp32 export, cached per model, weights,
  joint count and input size; the PyTorch module is built only to export a missing file;
- ``onnx-int8`` (``OnnxInt8Runner``): the static int8 file (shipped, or ``poseapp quantize``).

``OnnxRunner(path)`` also runs an ONNX file on its own, with the ``RunSpec`` its metadata carries.
"""
from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
import torch.nn as nn

from ..codecs import RunSpec
from ..defaults import BACKENDS  # noqa: F401  (the same names as RUNNERS, torch-free for the parsers)
from ..errors import PoseappError
from .export import export_onnx, read_metadata
from .manifest import resolve_backend
from .model import LoadedModel, WeightsRef, locate_weights


class Runner(Protocol):
    backend: str
    name: str
    input_hw: tuple[int, int]
    num_joints: int
    spec: RunSpec

    def __call__(self, batch: np.ndarray) -> np.ndarray: ...


def cache_dir() -> Path:
    env = os.environ.get("POSEAPP_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "poseapp"
    return base / "onnx"


class TorchRunner:
    backend = "torch"

    def __init__(self, loaded: LoadedModel, channels_last: bool = True) -> None:
        self.loaded = loaded
        self.name = loaded.name
        self.input_hw = tuple(loaded.input_hw)
        self.num_joints = loaded.num_joints
        self.spec = loaded.spec
        self.weights_id = loaded.weights_id
        self.module = loaded.module.eval()
        self.channels_last = channels_last
        if channels_last:
            self.module = self.module.to(memory_format=torch.channels_last)

    @classmethod
    def from_weights(cls, ref: WeightsRef, threads: int = 0) -> TorchRunner:
        if threads > 0:
            torch.set_num_threads(threads)
        return cls(ref.load())

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            return self.module(x).float().contiguous().numpy()


class DeviceRunner(TorchRunner):
    """``TorchRunner`` over a network that lives on ``device`` (validation while training)."""

    def __init__(self, module: nn.Module, name: str, input_hw: tuple[int, int], num_joints: int,
                 device: torch.device, channels_last: bool = True, spec: RunSpec | None = None) -> None:
        loaded = LoadedModel(name, module, None, "training", tuple(input_hw), num_joints, spec)
        super().__init__(loaded, channels_last=channels_last)
        self.device = device

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)).to(self.device, non_blocking=True)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            return self.module(x).float().cpu().contiguous().numpy()


# sessions shared by the runners of one file (compare mode on one model, a rebuilt runner), and freed with
# the last runner that uses one: a plain dict here kept every session ever loaded alive, past the GUI
# engine's bounded runner cache
_SESSIONS: weakref.WeakValueDictionary[tuple[str, int], object] = weakref.WeakValueDictionary()
_SESSIONS_LOCK = threading.Lock()


def session_options(threads: int = 0, quantized: bool = False):
    """The ``(SessionOptions, disabled_optimizers)`` every pose session is made with. ``quantized`` (an int8
    QDQ file): without the ``QDQPropagationTransformer``, which would move the QuantizeLinear after the float
    stem MaxPool back above it and run the pool in uint8 -- 4.3-5.0 of 22-24 ms of lpn50's flip pair on one
    thread, against ~0.2 ms in float (``poseapp.runtime.quantize``); measured neutral on the other three
    networks' int8 files."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads > 0:
        opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    # no busy-waiting between runs: the detector's and the pose model's thread
    # pools alternate every frame (measured: 12.6 -> 15.5 FPS end to end)
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return opts, (["QDQPropagationTransformer"] if quantized else [])


def _session(path: Path, threads: int, quantized: bool = False):
    """The (shared) ONNX Runtime session of ``path`` (``session_options``)."""
    import onnxruntime as ort

    key = (str(path.resolve()), threads)
    with _SESSIONS_LOCK:
        sess = _SESSIONS.get(key)
        if sess is None:
            opts, disabled = session_options(threads, quantized)
            try:
                sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"],
                                            disabled_optimizers=disabled)
            except Exception as exc:
                raise PoseappError(f"ONNX file {path} cannot be loaded ({str(exc).splitlines()[0][:120]}); re-export it with 'poseapp export'") from None
            _SESSIONS[key] = sess
        return sess


class OnnxRunner:
    """ONNX Runtime on one file. ``spec``: how to run it (default: the ``RunSpec`` in the file's metadata)."""

    backend = "onnx"

    def __init__(self, onnx_path: str | os.PathLike, threads: int = 0, backend: str | None = None,
                 spec: RunSpec | None = None, weights_id: str | None = None) -> None:
        if backend is not None:
            self.backend = backend
        self.path = Path(onnx_path)
        meta = read_metadata(self.path)
        self.spec = spec or RunSpec.from_onnx_metadata(meta, self.path.stem)
        self.name = self.spec.model or meta.get("model", self.path.stem)
        self.input_hw = tuple(self.spec.input_hw)
        self.num_joints = self.spec.num_joints
        self.weights_id = weights_id or meta.get("weights") or self.path.stem
        self.session = _session(self.path, threads, quantized="quantization" in meta)
        self.input_name = self.session.get_inputs()[0].name

    @classmethod
    def from_weights(cls, ref: WeightsRef, threads: int = 0) -> OnnxRunner:
        return cls(onnx_path_for(ref), threads=threads, spec=ref.spec, weights_id=ref.weights_id)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(batch, dtype=np.float32)
        return self.session.run(None, {self.input_name: x})[0]


class OnnxInt8Runner(OnnxRunner):
    """``OnnxRunner`` on the static int8 model of the weights (``poseapp.runtime.quantize``)."""

    backend = "onnx-int8"

    @classmethod
    def from_weights(cls, ref: WeightsRef, threads: int = 0) -> OnnxInt8Runner:
        from .quantize import int8_path_for

        return cls(int8_path_for(ref), threads=threads, spec=ref.spec, weights_id=ref.weights_id)


# one class per backend; poseapp.defaults.BACKENDS (what the parsers offer) lists the same names (a test checks)
RUNNERS: dict[str, type] = {"torch": TorchRunner, "onnx": OnnxRunner, "onnx-int8": OnnxInt8Runner}


def onnx_path_for(loaded: WeightsRef | LoadedModel) -> Path:
    """The cached ONNX file of ``loaded``; exported on first use (only then is the PyTorch module built)."""
    h, w = loaded.input_hw
    path = cache_dir() / f"{loaded.name}-{loaded.weights_id}-k{loaded.num_joints}-{h}x{w}.onnx"
    if not path.is_file():
        export_onnx(loaded.load(), path)
    return path


def create_runner(model: str, backend: str = "torch", weights: str | Path | None = None, threads: int = 0,
                  input_hw: tuple[int, int] | None = None, allow_untrained: bool = False,
                  num_joints: int | None = None) -> Runner:
    """A runner for the registered network ``model`` on ``backend`` (a key of ``RUNNERS``, or ``auto``:
    ``runtime.manifest.auto_backend`` picks one; the runner's ``backend`` names the one picked).

    ``input_hw`` runs the network at another crop size than its checkpoint's
    (the networks are fully convolutional), e.g. the papers' 256x192 in ``bench``.
    ``num_joints``: the joint count the caller needs (e.g. an MPII file's 16; None: the checkpoint's).
    ``allow_untrained``: as in ``load_model``.
    """
    if backend == "auto" and num_joints not in (None, 17):
        backend = "onnx"  # the shipped int8 models are of the 17-joint checkpoints
    backend = resolve_backend(model, backend, weights, input_hw)
    cls = RUNNERS.get(backend)
    if cls is None:
        raise PoseappError(f"unknown backend {backend!r}; choose one of: auto, {', '.join(RUNNERS)}")
    ref = locate_weights(model, weights, num_joints=num_joints, allow_untrained=allow_untrained, input_hw=input_hw)
    return cls.from_weights(ref, threads)
