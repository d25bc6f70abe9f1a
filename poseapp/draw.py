"""Skeleton rendering with OpenCV (COCO-17 limbs, one colour per track)."""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .poses import Poses
from .settings import Settings
from .skeleton import COCO_SKELETON


def track_color(track_id: int) -> tuple[int, int, int]:
    """A bright, stable BGR colour for a track id (golden-ratio hue steps)."""
    hue = int((track_id * 0.618033988749895 % 1.0) * 180)
    hsv = np.uint8([[[hue, 220, 255]]])
    b, g, r = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]
    return int(b), int(g), int(r)


def draw_poses(frame: np.ndarray, poses: Poses, config: Settings | None = None) -> np.ndarray:
    """Draw ``poses`` (their keypoints, and boxes / track ids where asked) onto ``frame`` in place, as
    ``config``'s ``kpt_threshold``, ``show_boxes``, ``show_ids`` and ``thickness`` say."""
    cfg = config or Settings()
    scale = max(1, round(max(frame.shape[:2]) / 640))
    th = cfg.thickness * scale
    visible = poses.scores >= cfg.kpt_threshold
    for i, tid in enumerate(poses.track_ids.tolist()):
        color = track_color(tid)
        pts = poses.keypoints[i]
        ok = visible[i]
        for a, b in COCO_SKELETON:
            if a < len(pts) and b < len(pts) and ok[a] and ok[b]:
                pa = (int(round(pts[a, 0])), int(round(pts[a, 1])))
                pb = (int(round(pts[b, 0])), int(round(pts[b, 1])))
                cv2.line(frame, pa, pb, color, th, cv2.LINE_AA)
        for j in np.flatnonzero(ok):
            c = (int(round(pts[j, 0])), int(round(pts[j, 1])))
            cv2.circle(frame, c, th + 1, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(frame, c, th + 1, color, 1, cv2.LINE_AA)
        if cfg.show_boxes or cfg.show_ids:
            x1, y1, x2, y2 = (int(round(v)) for v in poses.boxes[i])
            if cfg.show_boxes:
                cv2.rectangle(frame, (x1, y1), (x2, y2), color, max(1, scale), cv2.LINE_AA)
            if cfg.show_ids:
                label = f"#{tid}"
                (tw, tht), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale, scale)
                cv2.rectangle(frame, (x1, y1 - tht - 6), (x1 + tw + 6, y1), color, -1)
                cv2.putText(frame, label, (x1 + 3, y1 - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale, (0, 0, 0), scale, cv2.LINE_AA)
    return frame


def draw_overlay(frame: np.ndarray, lines: Sequence[str]) -> np.ndarray:
    """Text lines (e.g. FPS / PPS) in the top-left corner on a dark band."""
    scale = max(1, round(max(frame.shape[:2]) / 640))
    y = 6
    for line in lines:
        (tw, th), _ = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale, scale)
        cv2.rectangle(frame, (4, y), (12 + tw, y + th + 8), (0, 0, 0), -1)
        cv2.putText(frame, line, (8, y + th + 3), cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale, (255, 255, 255), scale, cv2.LINE_AA)
        y += th + 12
    return frame
