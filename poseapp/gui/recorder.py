"""Record what the window shows: the annotated video and the keypoints JSON.

The JSON is the ``poseapp annotate`` format (``KeypointsJsonWriter``); in
compare mode the second pane's keypoints go to a second JSON named after its
model and backend, and the video holds both panes side by side. Files are
written under temporary names and renamed on ``stop()``, as annotate does.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import KeypointsJsonWriter, VideoWriter
from ..poses import Poses


def safe_stem(label: str) -> str:
    """A file-name-safe stem from a source label (file stem, 'camera0', host...)."""
    stem = label if "://" in label else (Path(label.rstrip("/\\")).stem or label)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "poseapp"
    return stem[:60]


@dataclass
class RecordingTarget:
    video: Path
    keypoints: list[Path]


class Recorder:
    """Opened lazily on the first frame (its size fixes the video size)."""

    def __init__(self, outdir: Path, source_label: str, fps: float, headers: list[dict]) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = f"{safe_stem(source_label)}-{stamp}"
        self.outdir = Path(outdir)
        self.fps = fps
        self.video_path = self.outdir / f"{base}.annotated.mp4"
        names = [f"{base}.keypoints.json"] + [
            f"{base}.{safe_stem(h.get('model', 'b'))}-{h.get('backend', '')}.keypoints.json" for h in headers[1:]
        ]
        self.json_writers = [KeypointsJsonWriter(self.outdir / n, h) for n, h in zip(names, headers)]
        self.video: VideoWriter | None = None
        self.frames = 0
        self.panes = len(headers)

    def write(self, frame_index: int, time_s: float, persons_per_pane: list[Poses], canvas_bgr: np.ndarray) -> None:
        if self.video is None:
            self.video = VideoWriter(self.video_path, self.fps, (canvas_bgr.shape[1], canvas_bgr.shape[0]))
        self.video.write(canvas_bgr)
        for w, persons in zip(self.json_writers, persons_per_pane):
            w.write(frame_index, time_s, persons)
        self.frames += 1

    def stop(self) -> list[Path]:
        """Close every file; a recording of no frame leaves nothing behind."""
        if self.frames == 0:
            self.abort()
            return []
        out = [w.close() for w in self.json_writers]
        if self.video is not None:
            out.insert(0, self.video.close())
        return out

    def abort(self) -> None:
        for w in self.json_writers:
            w.abort()
        if self.video is not None:
            self.video.abort()
