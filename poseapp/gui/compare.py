"""Compare mode: two pipelines on the same frames and how far their poses agree.

Both pipelines share one detector through ``SharedDetector`` (it runs once per
frame), so they see the same boxes and any difference comes from the pose
networks or runtimes alone. Persons are matched by box IoU; agreement is the
COCO object keypoint similarity (OKS) between the matched poses, with the box
area as the object scale and over the keypoints that either model is confident
of (all of them for a person where neither is confident of any). Same network on PyTorch and ONNX Runtime should agree at OKS ~1.0.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..detect.base import Detections
from ..poses import Poses
from ..skeleton import keypoint_similarity

DISAGREE_BELOW = 0.5  # per-keypoint similarity under which a joint is marked on the B pane


class SharedDetector:
    """Wraps a detector so two pipelines fed the same frame object run it once."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.last_ms = 0.0
        self._frame: np.ndarray | None = None
        self._dets: Detections | None = None

    @property
    def name(self) -> str:
        return getattr(self.inner, "name", "?")

    @property
    def conf(self) -> float | None:
        """The wrapped detector's confidence threshold (None: it has none to set)."""
        return getattr(self.inner, "conf", None)

    @conf.setter
    def conf(self, conf: float) -> None:
        if hasattr(self.inner, "conf") and self.inner.conf != conf:
            self.inner.conf = conf
            self.forget()  # boxes found with the old threshold

    def forget(self) -> None:
        self._frame, self._dets = None, None

    def __call__(self, frame_bgr: np.ndarray) -> Detections:
        if frame_bgr is not self._frame or self._dets is None:
            t0 = time.perf_counter()
            self._dets = self.inner(frame_bgr)
            self.last_ms = (time.perf_counter() - t0) * 1e3
            self._frame = frame_bgr
        return Detections(self._dets.xyxy.copy(), self._dets.conf.copy())


def box_iou(a_xyxy: np.ndarray, b_xyxy: np.ndarray) -> np.ndarray:
    """IoU matrix (N x M) of two box sets."""
    a = np.asarray(a_xyxy, np.float64).reshape(-1, 4)
    b = np.asarray(b_xyxy, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(-1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(-1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def match_persons(boxes_a: np.ndarray, boxes_b: np.ndarray, iou_min: float = 0.5) -> list[tuple[int, int]]:
    """Greedy one-to-one matching by IoU, best pairs first."""
    iou = box_iou(boxes_a, boxes_b)
    pairs: list[tuple[int, int]] = []
    if iou.size == 0:
        return pairs
    used_a: set[int] = set()
    used_b: set[int] = set()
    for flat in np.argsort(-iou, axis=None):
        i, j = divmod(int(flat), iou.shape[1])
        if iou[i, j] < iou_min:
            break
        if i not in used_a and j not in used_b:
            pairs.append((i, j))
            used_a.add(i)
            used_b.add(j)
    return pairs


@dataclass
class PersonAgreement:
    index_a: int
    index_b: int
    oks: float
    similarity: np.ndarray  # K, NaN where neither model is confident


@dataclass
class Agreement:
    """How far the two panes agree on one frame."""

    persons_a: int
    persons_b: int
    pairs: list[PersonAgreement] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return len(self.pairs)

    @property
    def mean_oks(self) -> float | None:
        return float(np.mean([p.oks for p in self.pairs])) if self.pairs else None


def agreement(persons_a: Poses, persons_b: Poses, kpt_threshold: float) -> Agreement:
    """Match the persons of two results by box IoU and compute the OKS of each pair (A's box area as the scale)."""
    out = Agreement(len(persons_a), len(persons_b))
    pairs = match_persons(persons_a.boxes, persons_b.boxes)
    if not pairs:
        return out
    ia, ib = (np.array(v) for v in zip(*pairs))
    a, b = persons_a[ia], persons_b[ib]
    box = a.boxes.astype(np.float64)
    sim = keypoint_similarity(a.keypoints, b.keypoints, (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1]))  # P x K
    seen = (a.scores >= kpt_threshold) | (b.scores >= kpt_threshold)
    seen[~seen.any(1)] = True  # neither model sure of any joint: compare them all
    for p, (i, j) in enumerate(pairs):
        out.pairs.append(PersonAgreement(i, j, float(sim[p][seen[p]].mean()), np.where(seen[p], sim[p], np.nan)))
    return out


class AgreementStats:
    """Running mean OKS since the last reset and per-keypoint mean over recent frames."""

    def __init__(self, num_keypoints: int = 17, recent_frames: int = 60) -> None:
        self.num_keypoints = num_keypoints
        self._recent: deque[np.ndarray] = deque(maxlen=recent_frames)
        self.reset()

    def reset(self) -> None:
        self.frames = 0
        self._oks_sum = 0.0
        self._recent.clear()

    def add(self, agr: Agreement) -> None:
        if agr.mean_oks is None:
            return
        self.frames += 1
        self._oks_sum += agr.mean_oks
        self._recent.append(_nanmean(np.stack([p.similarity[: self.num_keypoints] for p in agr.pairs])))

    @property
    def running_oks(self) -> float | None:
        return self._oks_sum / self.frames if self.frames else None

    def keypoint_means(self) -> np.ndarray:
        """Mean similarity per keypoint over recent frames (NaN where never seen)."""
        if not self._recent:
            return np.full(self.num_keypoints, np.nan)
        return _nanmean(np.stack(self._recent))


def _nanmean(rows: np.ndarray) -> np.ndarray:
    """Column means over the finite values; NaN for a column with none (without numpy's warning)."""
    finite = np.isfinite(rows)
    count = finite.sum(0)
    total = np.where(finite, rows, 0.0).sum(0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def draw_agreement(canvas_bgr: np.ndarray, persons_a: Poses, persons_b: Poses, agr: Agreement) -> np.ndarray:
    """On the B pane: each matched person's OKS over its box, and a red line from
    A's keypoint to B's wherever the two disagree (similarity < 0.5)."""
    scale = max(1, round(max(canvas_bgr.shape[:2]) / 640))
    for pair in agr.pairs:
        kp_a, kp_b = persons_a.keypoints[pair.index_a], persons_b.keypoints[pair.index_b]
        for k in np.flatnonzero(np.nan_to_num(pair.similarity, nan=1.0) < DISAGREE_BELOW):
            a = tuple(int(round(v)) for v in kp_a[k])
            b = tuple(int(round(v)) for v in kp_b[k])
            cv2.line(canvas_bgr, a, b, (40, 40, 230), scale, cv2.LINE_AA)
            cv2.circle(canvas_bgr, b, 3 + 2 * scale, (40, 40, 230), scale, cv2.LINE_AA)
        x1, _, _, y2 = (int(round(v)) for v in persons_b.boxes[pair.index_b])
        label = f"OKS {pair.oks:.2f}"
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale, scale)
        y = min(y2, canvas_bgr.shape[0] - 2)
        shade = (60, 170, 60) if pair.oks >= 0.75 else (40, 150, 230) if pair.oks >= 0.5 else (40, 40, 220)
        cv2.rectangle(canvas_bgr, (x1, y - th - 6), (x1 + tw + 6, y), shade, -1)
        cv2.putText(canvas_bgr, label, (x1 + 3, y - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.45 * scale, (255, 255, 255), scale, cv2.LINE_AA)
    return canvas_bgr
