"""YOLOX ONNX person detector run with ONNX Runtime.

Input format (see ../shared/data/MANIFEST.md): BGR 0-255 float, letterboxed to the
top-left corner with pad value 114, not normalised. Raw output ``1 x A x (5 + C)``:
grid/stride decoding (strides 8, 16, 32), ``xy = (out_xy + grid) * stride``,
``wh = exp(out_wh) * stride``, score = objectness x class probability (class 0 =
person), then NMS.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..errors import DetectorError
from .base import Detections

STRIDES = (8, 16, 32)


def _grids(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    grids, strides = [], []
    for s in STRIDES:
        gh, gw = h // s, w // s
        ys, xs = np.meshgrid(np.arange(gh), np.arange(gw), indexing="ij")
        grids.append(np.stack([xs, ys], -1).reshape(-1, 2))
        strides.append(np.full((gh * gw, 1), s))
    return np.concatenate(grids).astype(np.float32), np.concatenate(strides).astype(np.float32)


class YoloxOnnxDetector:
    """A YOLOX-family ``.onnx`` file (80-class COCO or person-only)."""

    def __init__(self, path: str | Path, conf: float = 0.3, nms_iou: float = 0.45, threads: int = 0) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        self.name = self.path.name
        self.conf = conf
        self.nms_iou = nms_iou
        opts = ort.SessionOptions()
        if threads > 0:
            opts.intra_op_num_threads = threads
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # see runtime.runners
        try:
            self.session = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise DetectorError(
                f"detector file {self.path} is not a loadable ONNX model ({str(exc).splitlines()[0][:100]}); "
                "pass a YOLOX .onnx or an ultralytics .pt"
            ) from None
        inp = self.session.get_inputs()[0]
        out = self.session.get_outputs()[0]
        shape = inp.shape
        if len(shape) != 4 or not all(isinstance(d, int) for d in shape[2:]) or len(out.shape) != 3:
            raise DetectorError(
                f"detector file {self.path} does not look like a YOLOX detector (input {shape}, output {out.shape}); "
                "pass a YOLOX .onnx or an ultralytics .pt"
            )
        self.input_name = inp.name
        self.input_hw = (int(shape[2]), int(shape[3]))
        self.grid, self.stride = _grids(*self.input_hw)
        n_out = out.shape[2]
        if isinstance(out.shape[1], int) and out.shape[1] != self.grid.shape[0] or not isinstance(n_out, int) or n_out < 6:
            raise DetectorError(
                f"detector file {self.path} output {out.shape} does not match YOLOX decoding for input {self.input_hw}; "
                "pass a YOLOX .onnx or an ultralytics .pt"
            )
        self._canvas = np.full((*self.input_hw, 3), 114, np.uint8)

    def preprocess(self, frame_bgr: np.ndarray) -> tuple[np.ndarray, float]:
        h, w = self.input_hw
        r = min(h / frame_bgr.shape[0], w / frame_bgr.shape[1])
        nh, nw = int(round(frame_bgr.shape[0] * r)), int(round(frame_bgr.shape[1] * r))
        canvas = self._canvas
        canvas[:] = 114
        canvas[:nh, :nw] = cv2.resize(frame_bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
        blob = canvas.transpose(2, 0, 1)[None].astype(np.float32)
        return blob, r

    def postprocess(self, raw: np.ndarray, ratio: float) -> Detections:
        out = raw[0]
        scores = out[:, 4] * out[:, 5]  # objectness x P(person)
        keep = scores >= self.conf
        if not keep.any():
            return Detections.empty()
        out, scores = out[keep], scores[keep]
        grid, stride = self.grid[keep], self.stride[keep]
        xy = (out[:, :2] + grid) * stride
        wh = np.exp(np.minimum(out[:, 2:4], 10.0)) * stride
        boxes = np.concatenate([xy - wh / 2, xy + wh / 2], 1) / ratio
        xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], 1)
        idx = cv2.dnn.NMSBoxes(xywh.tolist(), scores.tolist(), self.conf, self.nms_iou)
        idx = np.asarray(idx, np.int64).reshape(-1)
        return Detections(boxes[idx].astype(np.float32), scores[idx].astype(np.float32))

    def __call__(self, frame_bgr: np.ndarray) -> Detections:
        blob, r = self.preprocess(frame_bgr)
        raw = self.session.run(None, {self.input_name: blob})[0]
        dets = self.postprocess(raw, r)
        h, w = frame_bgr.shape[:2]
        if len(dets):
            dets.xyxy[:, [0, 2]] = dets.xyxy[:, [0, 2]].clip(0, w - 1)
            dets.xyxy[:, [1, 3]] = dets.xyxy[:, [1, 3]].clip(0, h - 1)
        return dets
