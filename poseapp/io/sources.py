"""Frame sources: video files, images, folders of images, cameras and URLs.

Every source yields ``Frame(image BGR uint8, index, time_s)``; ``open_source``
picks the kind from what it is given.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from ..errors import SourceError

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO_EXTS = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".gif"}


@contextlib.contextmanager
def quiet_opencv():
    """Silence OpenCV's own log while it opens something whose failure we report ourselves
    (a missing camera prints a dozen WARN/ERROR lines from every backend it tries)."""
    log = getattr(getattr(cv2, "utils", None), "logging", None)
    if log is None:
        yield
        return
    old = log.getLogLevel()
    log.setLogLevel(log.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        log.setLogLevel(old)


@dataclass
class Frame:
    image: np.ndarray
    index: int
    time_s: float


class VideoSource:
    """A video file, camera index or stream URL read with OpenCV."""

    kind = "video"

    def __init__(self, target: str | int, live: bool = False) -> None:
        self.target = target
        self.live = live
        with quiet_opencv():
            self.cap = cv2.VideoCapture(target)
        if not self.cap.isOpened():
            if isinstance(target, int):
                raise SourceError(f"cannot open camera {target}: check that it is connected and not in use by another program")
            if "://" not in target and Path(target).is_file():
                raise SourceError(f"cannot open video {target}: the file is empty, damaged or not a video")
            raise SourceError(f"cannot open video {target}: check that it exists and is a readable video or stream")
        if live:
            self.cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        fps = self.cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 0 < fps < 1000 else 30.0
        n = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frame_count = n if n > 0 and not live else None
        self.size = (int(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self._index = 0
        self._t0 = time.monotonic()

    def read(self) -> Frame | None:
        ok, img = self.cap.read()
        if not ok or img is None:
            return None
        t = time.monotonic() - self._t0 if self.live else self._index / self.fps
        f = Frame(img, self._index, t)
        self._index += 1
        return f

    def seek(self, index: int) -> None:
        if self.live:
            return
        self.cap.set(cv2.CAP_PROP_POS_FRAMES, max(0, index))
        self._index = max(0, index)

    def __iter__(self) -> Iterator[Frame]:
        while (f := self.read()) is not None:
            yield f

    def close(self) -> None:
        self.cap.release()


class ImageListSource:
    """One image or a folder of images, in name order, as a 1-fps sequence."""

    kind = "images"

    def __init__(self, paths: list[Path]) -> None:
        if not paths:
            raise SourceError("no images found: pass image files (.jpg, .png...) or a folder that holds some")
        self.paths = paths
        self.fps = 1.0
        self.frame_count = len(paths)
        self.live = False
        first = cv2.imread(str(paths[0]))
        self.size = (first.shape[1], first.shape[0]) if first is not None else (0, 0)
        self._index = 0

    def read(self) -> Frame | None:
        if self._index >= len(self.paths):
            return None
        p = self.paths[self._index]
        index = self._index
        self._index += 1  # a damaged image is reported once; the next read moves on
        img = cv2.imread(str(p))
        if img is None:
            raise SourceError(f"cannot read image {p}: the file is damaged or not an image")
        return Frame(img, index, float(index))

    def seek(self, index: int) -> None:
        self._index = min(max(0, index), len(self.paths))

    def __iter__(self) -> Iterator[Frame]:
        while (f := self.read()) is not None:
            yield f

    def close(self) -> None:
        pass


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS)


def missing_input(spec: str | int | Path) -> str | None:
    """The one-line error for an input path that does not exist; None for cameras, URLs and existing paths."""
    s = str(spec)
    if isinstance(spec, int) or s.isdigit() or "://" in s or Path(s).exists():
        return None
    return f"input {s} not found: pass an existing video, image or folder"


def open_source(spec: str | int | Path, live: bool | None = None):
    """Open a camera index, URL, video file, image file or folder of images."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return VideoSource(int(spec), live=True if live is None else live)
    s = str(spec)
    if "://" in s:
        return VideoSource(s, live=True if live is None else live)
    path = Path(s)
    if (error := missing_input(path)) is not None:
        raise SourceError(error)
    if path.is_dir():
        return ImageListSource(image_files(path))
    if path.suffix.lower() in IMAGE_EXTS:
        if cv2.imread(str(path)) is None:
            raise SourceError(f"cannot read image {path}: the file is damaged or not an image")
        return ImageListSource([path])
    src = VideoSource(s, live=bool(live))
    if src.read() is None:
        src.close()
        raise SourceError(f"cannot read a frame from {path}: it is not a video or it is damaged")
    src.seek(0)
    return src
