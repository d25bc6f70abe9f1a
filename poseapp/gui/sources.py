"""What the source chooser offers: camera indices that open, and source labels."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import cv2

from ..io import IMAGE_EXTS, VIDEO_EXTS


def candidate_camera_indices(max_index: int = 4) -> list[int]:
    """Indices worth trying: ``/dev/video*`` on Linux, else ``0..max_index-1``."""
    if sys.platform.startswith("linux"):
        found = sorted({int(m.group(1)) for p in Path("/dev").glob("video*") if (m := re.fullmatch(r"video(\d+)", p.name))})
        return found
    return list(range(max_index))


def list_cameras(max_index: int = 4) -> list[int]:
    """Camera indices that open and deliver a frame (slow: call it off the GUI thread)."""
    ok = []
    for i in candidate_camera_indices(max_index):
        cap = cv2.VideoCapture(i)
        try:
            if cap.isOpened() and cap.read()[0]:
                ok.append(i)
        finally:
            cap.release()
    return ok


def is_camera(spec: str) -> bool:
    return spec.strip().isdigit()


def is_url(spec: str) -> bool:
    return "://" in spec


def source_label(spec: str) -> str:
    """Short human name: 'camera 0', the file or folder name, or the URL."""
    spec = spec.strip()
    if is_camera(spec):
        return f"camera {int(spec)}"
    if is_url(spec):
        return spec
    return Path(spec).name or spec


def droppable(path: str) -> bool:
    """A dropped path that ``open_source`` can take: a video, an image or a folder."""
    p = Path(path)
    return p.is_dir() or p.suffix.lower() in VIDEO_EXTS | IMAGE_EXTS
