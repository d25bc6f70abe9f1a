"""MoveNet SinglePose teachers: Thunder (ONNX) and Lightning (int8 TFLite).

Training-time only. Both follow the protocol measured in
../shared/data/MANIFEST.md: a square crop around the person's box (box centre,
side = max(w, h) x 1.25) resized to the teacher's input, RGB 0-255; output
``17 x (y, x, score)`` normalised to the crop, COCO-17 order.

- ``thunder``: ``teachers/movenet_thunder.onnx``, 256 x 256 int32, ONNX Runtime
  (a core dependency); coco17 val AP 0.443 in the MANIFEST. The default teacher.
- ``lightning``: ``teachers/movenet_singlepose_lightning_int8.tflite``,
  192 x 192 uint8, needs ``ai-edge-litert`` (``pip install 'poseapp[teacher]'``).

``load_teacher`` takes either name or a model file (``.onnx`` = Thunder's
interface, ``.tflite`` = Lightning's). ``teacher_keypoints`` runs a teacher
once per person and caches the result on disk (``teacher_cache.py``).
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..errors import PoseappError

TEACHER_FILES = {
    "thunder": "teachers/movenet_thunder.onnx",
    "lightning": "teachers/movenet_singlepose_lightning_int8.tflite",
}
PADDING = 1.25


class MoveNetTeacher:
    """The square-crop protocol around a backend's ``run`` (``input_size`` x ``input_size`` RGB)."""

    input_size = 192
    name = "movenet"

    def run(self, rgb: np.ndarray) -> np.ndarray:  # pragma: no cover - implemented by the backends
        raise NotImplementedError

    def predict(self, image_bgr: np.ndarray, box_xyxy: np.ndarray, padding: float = PADDING) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (17 x 2, image pixels) and scores (17) for the person in ``box_xyxy``."""
        size = self.input_size
        x1, y1, x2, y2 = (float(v) for v in box_xyxy)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        side = max(x2 - x1, y2 - y1, 1.0) * padding
        s = size / side
        affine = np.array([[s, 0, size / 2 - s * cx], [0, s, size / 2 - s * cy]], np.float64)
        crop = cv2.warpAffine(image_bgr, affine, (size, size), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
        out = self.run(crop[..., ::-1])
        xy = out[:, [1, 0]] * size
        img_xy = (xy - affine[:, 2]) / s
        return img_xy.astype(np.float32), out[:, 2].astype(np.float32)


class LightningTeacher(MoveNetTeacher):
    """MoveNet Lightning, int8 TFLite (192 x 192 uint8)."""

    input_size = 192
    name = "lightning"

    def __init__(self, model_path: str | Path, threads: int = 1) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise PoseappError("the Lightning teacher needs ai-edge-litert: pip install 'poseapp[teacher]'") from None
        path = Path(model_path)
        if not path.is_file():
            raise PoseappError(f"teacher model {path} not found: pass the MoveNet .tflite file")
        self.path = path
        self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self.interpreter.allocate_tensors()
        self._in = self.interpreter.get_input_details()[0]["index"]
        self._out = self.interpreter.get_output_details()[0]["index"]

    def run(self, rgb192: np.ndarray) -> np.ndarray:
        """Raw output for one 192x192x3 uint8 RGB image: 17 x (y, x, score), normalised."""
        self.interpreter.set_tensor(self._in, np.ascontiguousarray(rgb192[None], np.uint8))
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self._out)[0, 0].copy()


class ThunderTeacher(MoveNetTeacher):
    """MoveNet Thunder as ONNX (256 x 256 int32 RGB, batch 1)."""

    input_size = 256
    name = "thunder"

    def __init__(self, model_path: str | Path, threads: int = 1) -> None:
        import onnxruntime as ort

        path = Path(model_path)
        if not path.is_file():
            raise PoseappError(f"teacher model {path} not found: pass the MoveNet Thunder .onnx file")
        self.path = path
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own error types
            raise PoseappError(f"teacher model {path} cannot be loaded by ONNX Runtime ({str(exc).splitlines()[0][:120]})") from None
        inp = self.session.get_inputs()[0]
        if list(inp.shape[1:]) != [256, 256, 3]:
            raise PoseappError(f"teacher model {path} takes {inp.shape}, expected 1x256x256x3 (MoveNet Thunder)")
        self._in = inp.name
        self._dtype = np.int32 if "int32" in inp.type else np.float32

    def run(self, rgb256: np.ndarray) -> np.ndarray:
        """Raw output for one 256x256x3 RGB image: 17 x (y, x, score), normalised."""
        x = np.ascontiguousarray(rgb256[None]).astype(self._dtype)
        return np.asarray(self.session.run(None, {self._in: x})[0]).reshape(17, 3).astype(np.float32)


def teacher_path(name_or_path: str, shared_data: str | Path = "../shared/data") -> Path:
    """The model file of ``thunder`` / ``lightning`` under ``shared_data``, or the path itself."""
    if name_or_path in TEACHER_FILES:
        return Path(shared_data) / TEACHER_FILES[name_or_path]
    return Path(name_or_path)


def load_teacher(name_or_path: str, shared_data: str | Path = "../shared/data", threads: int = 1) -> MoveNetTeacher:
    """``thunder``, ``lightning`` or a MoveNet file (.onnx: Thunder's interface, .tflite: Lightning's)."""
    path = teacher_path(name_or_path, shared_data)
    if name_or_path not in TEACHER_FILES and path.suffix not in (".onnx", ".tflite"):
        raise PoseappError(f"teacher {name_or_path!r}: name thunder or lightning, or pass a MoveNet .onnx/.tflite file")
    if not path.is_file():
        raise PoseappError(f"teacher model {path} not found (teachers live in ../shared/data/teachers/)")
    cls = ThunderTeacher if path.suffix == ".onnx" else LightningTeacher
    return cls(path, threads=threads)


def teacher_predictions(teacher: MoveNetTeacher, samples, padding: float = PADDING, progress: bool = False):
    """The teacher's keypoints for annotated persons, as ``evaluation.Predictions``.

    Same protocol as ``predict`` (one crop per ground-truth or detected box), so
    ``evaluate_predictions`` scores the teacher exactly as it scores our networks;
    the OKS-NMS area is the square crop's.
    """
    from .evaluation.predict import Predictions
    from .teacher_cache import run_teacher

    out = run_teacher(teacher, samples, padding, progress)
    boxes = np.stack([s.box_xyxy for s in samples]).astype(np.float32)
    side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) * padding
    return Predictions(out[..., :2].copy(), out[..., 2].copy(), (side**2).astype(np.float32))
