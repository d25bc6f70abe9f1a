"""Person detectors behind one interface; ``create_detector`` picks one from a path or name."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import DetectorError
from .base import Detections, Detector
from .ultra import UltralyticsDetector
from .yolox import YoloxOnnxDetector

DEFAULT_DETECTOR = "yolo11n.pt"


def default_detector() -> str:
    """``$POSEAPP_DETECTOR`` or ultralytics' ``yolo11n.pt``."""
    return os.environ.get("POSEAPP_DETECTOR") or DEFAULT_DETECTOR


def _is_ultralytics_onnx(path: Path) -> bool:
    import onnx

    try:
        meta = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
    except Exception as exc:
        raise DetectorError(f"detector file {path} is not an ONNX model ({type(exc).__name__}); pass a YOLOX .onnx or an ultralytics .pt") from None
    return "ultralytics" in meta.get("author", "").lower() or "names" in meta


def create_detector(spec: str | None = None, conf: float = 0.3) -> Detector:
    """A detector from a file path or an ultralytics model name.

    ``.onnx`` files exported by ultralytics go to ultralytics; other ``.onnx``
    files are read as YOLOX; anything else (``.pt``, names such as ``yolo11n.pt``)
    goes to ultralytics, which downloads known names on a connected machine.
    """
    spec = spec or default_detector()
    path = Path(spec)
    if path.suffix.lower() == ".onnx":
        if not path.is_file():
            raise DetectorError(f"detector file {path} not found: pass an existing .onnx or .pt with --detector")
        if _is_ultralytics_onnx(path):
            return UltralyticsDetector(str(path), conf=conf)
        return YoloxOnnxDetector(path, conf=conf)
    if (os.sep in spec or "/" in spec) and not path.is_file():
        raise DetectorError(f"detector file {path} not found: pass an existing .onnx or .pt with --detector")
    if path.exists() and path.suffix.lower() not in (".pt", ".onnx", ".engine", ".torchscript", ".yaml"):
        raise DetectorError(f"detector file {path} is not a detector (.pt or .onnx expected); pass a YOLO .pt or YOLOX .onnx")
    return UltralyticsDetector(spec, conf=conf)


__all__ = ["DEFAULT_DETECTOR", "Detections", "Detector", "UltralyticsDetector", "YoloxOnnxDetector", "create_detector", "default_detector"]
