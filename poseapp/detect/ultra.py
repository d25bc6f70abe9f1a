"""ultralytics YOLO person detector (any model ultralytics loads: .pt, its .onnx exports)."""
from __future__ import annotations

import numpy as np

from ..errors import DetectorError
from .base import Detections


class UltralyticsDetector:
    def __init__(self, model: str, conf: float = 0.3, nms_iou: float = 0.7, imgsz: int = 640) -> None:
        try:
            from ultralytics import YOLO

            self.model = YOLO(model, task="detect")
        except Exception as exc:
            msg = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            raise DetectorError(
                f"cannot load detector {model!r} ({msg}); if this machine is offline, ultralytics cannot fetch it: "
                "pass --detector PATH to a local .pt or YOLOX .onnx"
            ) from None
        names = getattr(self.model, "names", None) or {}
        person = [k for k, v in names.items() if str(v).lower() == "person"]
        if names and not person:
            raise DetectorError(f"detector {model!r} has no 'person' class; pass a COCO person detector")
        self.person_class = person[0] if person else 0
        self.name = str(model)
        self.conf = conf
        self.nms_iou = nms_iou
        self.imgsz = imgsz

    def __call__(self, frame_bgr: np.ndarray) -> Detections:
        try:
            res = self.model.predict(
                frame_bgr, classes=[self.person_class], conf=self.conf, iou=self.nms_iou,
                imgsz=self.imgsz, verbose=False,
            )[0]
        except Exception as exc:  # weights that need a download, missing extras...
            raise DetectorError(f"detector {self.name!r} failed ({str(exc).splitlines()[0][:120]}); pass --detector PATH") from None
        boxes = res.boxes
        if boxes is None or len(boxes) == 0:
            return Detections.empty()
        return Detections(boxes.xyxy.cpu().numpy().astype(np.float32), boxes.conf.cpu().numpy().astype(np.float32))
