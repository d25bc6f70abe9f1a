"""MoveNet SinglePose Lightning (int8 TFLite) as a pseudo-labelling teacher.

Training-time only (``pip install poseapp[teacher]``): it fills in keypoints a
data set lacks (the face joints of LSP). Protocol as measured in
../shared/data/MANIFEST.md: a square crop around the person's box with 1.25
padding, resized to 192x192 RGB uint8; output ``17 x (y, x, score)``
normalised to the crop, COCO-17 order.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..errors import PoseappError

INPUT_SIZE = 192


class MoveNetTeacher:
    def __init__(self, model_path: str | Path, threads: int = 1) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise PoseappError("the teacher needs ai-edge-litert: pip install 'poseapp[teacher]'") from None
        path = Path(model_path)
        if not path.is_file():
            raise PoseappError(f"teacher model {path} not found: pass the MoveNet .tflite file")
        self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self.interpreter.allocate_tensors()
        self._in = self.interpreter.get_input_details()[0]["index"]
        self._out = self.interpreter.get_output_details()[0]["index"]

    def run(self, rgb192: np.ndarray) -> np.ndarray:
        """Raw output for one 192x192x3 uint8 RGB image: 17 x (y, x, score), normalised."""
        self.interpreter.set_tensor(self._in, np.ascontiguousarray(rgb192[None], np.uint8))
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self._out)[0, 0].copy()

    def predict(self, image_bgr: np.ndarray, box_xyxy: np.ndarray, padding: float = 1.25) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (17 x 2, image pixels) and scores (17) for the person in ``box_xyxy``."""
        x1, y1, x2, y2 = (float(v) for v in box_xyxy)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        side = max(x2 - x1, y2 - y1) * padding
        s = INPUT_SIZE / side
        affine = np.array([[s, 0, INPUT_SIZE / 2 - s * cx], [0, s, INPUT_SIZE / 2 - s * cy]], np.float64)
        crop = cv2.warpAffine(image_bgr, affine, (INPUT_SIZE, INPUT_SIZE), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
        out = self.run(crop[..., ::-1])
        xy = out[:, [1, 0]] * INPUT_SIZE
        img_xy = (xy - affine[:, 2]) / s
        return img_xy.astype(np.float32), out[:, 2].astype(np.float32)


def teacher_predictions(teacher: MoveNetTeacher, samples, padding: float = 1.25, progress: bool = False):
    """The teacher's keypoints for annotated persons, as ``evaluation.Predictions``.

    Same protocol as ``predict`` (one crop per ground-truth or detected box), so
    ``evaluate_predictions`` scores the teacher exactly as it scores our networks;
    the OKS-NMS area is the square crop's.
    """
    from tqdm import tqdm

    from .datasets.topdown import read_image
    from .evaluation.predict import Predictions

    n = len(samples)
    kps = np.zeros((n, 17, 2), np.float32)
    scores = np.zeros((n, 17), np.float32)
    areas = np.zeros(n, np.float32)
    image, image_path = None, None
    for i, s in enumerate(tqdm(samples, desc="teacher", unit="person", leave=False, disable=not progress)):
        if s.image != image_path:
            image, image_path = read_image(s.image), s.image
        kps[i], scores[i] = teacher.predict(image, s.box_xyxy, padding)
        x1, y1, x2, y2 = s.box_xyxy
        areas[i] = (max(x2 - x1, y2 - y1) * padding) ** 2
    return Predictions(kps, scores, areas)
