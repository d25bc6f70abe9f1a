"""Sinks that write results to disk: annotated video, keypoints JSON and CSV.

Videos are H.264 (yuv420p) MP4s written with PyAV, which browsers play; without
PyAV they fall back to OpenCV's mp4v. Every writer writes to a temporary name
beside the target and renames it on ``close()``; ``abort()`` removes the
partial file, so an interrupted run never leaves a half-written file that looks
complete.
"""
from __future__ import annotations

import csv
import json
import os
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from ..errors import PoseappError
from ..poses import Poses
from ..skeleton import COCO_KEYPOINTS


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.stem}.partial{path.suffix}")


_notice_shown = False


def _notice(text: str) -> None:
    """One line on stderr, once per process."""
    global _notice_shown
    if not _notice_shown:
        _notice_shown = True
        print(f"poseapp: {text}", file=sys.stderr, flush=True)


def h264_available() -> bool:
    """PyAV is installed and its FFmpeg has the libx264 encoder."""
    try:
        import av
    except ImportError:
        return False
    return "libx264" in av.codecs_available


class VideoWriter:
    """An MP4 video that browsers play: H.264, yuv420p, written with PyAV (its wheels ship libx264).

    Odd frame sizes are padded by one black pixel on the right or bottom (yuv420p needs even
    ones), so ``size`` may be one larger than the frames given. Without PyAV or its H.264
    encoder the file is MPEG-4 part 2 (``mp4v``) through OpenCV, with a one-line notice:
    desktop players play it, browsers do not. ``codec`` says which one is written.
    """

    def __init__(self, path: str | os.PathLike, fps: float, size_wh: tuple[int, int]) -> None:
        self.path = Path(path)
        self.tmp = _partial(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.frame_size = (int(size_wh[0]), int(size_wh[1]))  # what write() is given (others are resized to it)
        fps = float(fps) if fps and 0 < fps < 1000 else 30.0
        self._container = self._stream = self._cv = None
        self._frames = 0
        if h264_available():
            self._open_h264(fps)
        else:
            _notice("PyAV with H.264 is not available (pip install av): writing mp4v videos, which browsers do not play")
            self._open_mp4v(fps)

    def _open_h264(self, fps: float) -> None:
        import av

        w, h = self.frame_size
        self.size = (w + w % 2, h + h % 2)
        try:
            self._container = av.open(str(self.tmp), mode="w", format="mp4", options={"movflags": "+faststart"})
            rate = Fraction(fps).limit_denominator(1001)
            self._stream = self._container.add_stream("libx264", rate=rate)
            self._stream.width, self._stream.height = self.size
            self._stream.pix_fmt = "yuv420p"
            self._stream.codec_context.time_base = 1 / rate
            self._stream.options = {"preset": "veryfast", "crf": "23"}
        except (OSError, av.FFmpegError) as exc:
            self._release()
            self.tmp.unlink(missing_ok=True)
            raise PoseappError(f"cannot write video {self.path}: {exc}; check the folder is writable") from None
        self.codec = "h264"

    def _open_mp4v(self, fps: float) -> None:
        self.size = self.frame_size
        self._cv = cv2.VideoWriter(str(self.tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, self.size)
        if not self._cv.isOpened():
            raise PoseappError(f"cannot write video {self.path}: check the folder is writable")
        self.codec = "mp4v"

    def write(self, frame: np.ndarray) -> None:
        """One BGR uint8 frame."""
        if (frame.shape[1], frame.shape[0]) != self.frame_size:
            frame = cv2.resize(frame, self.frame_size)
        if self._cv is not None:
            self._cv.write(frame)
            return
        import av

        pad_w, pad_h = self.size[0] - self.frame_size[0], self.size[1] - self.frame_size[1]
        if pad_w or pad_h:
            frame = cv2.copyMakeBorder(frame, 0, pad_h, 0, pad_w, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="bgr24")
        vf.pts = self._frames
        try:
            for packet in self._stream.encode(vf):
                self._container.mux(packet)
        except (OSError, av.FFmpegError) as exc:
            raise PoseappError(f"cannot write video {self.path}: {exc}") from None
        self._frames += 1

    def _release(self) -> None:
        if self._cv is not None:
            self._cv.release()
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # noqa: BLE001 - closing a half-written file that is removed anyway
                pass
            self._container = None

    def close(self) -> Path:
        if self._container is not None:
            import av

            try:
                for packet in self._stream.encode():  # flush the encoder's delayed frames
                    self._container.mux(packet)
                self._container.close()
            except (OSError, av.FFmpegError) as exc:
                self.abort()
                raise PoseappError(f"cannot write video {self.path}: {exc}") from None
            self._container = None
        self._release()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        self._release()
        self.tmp.unlink(missing_ok=True)


class KeypointsJsonWriter:
    """``{"video", "fps", "model", "backend", "frames": [{"frame", "time_s", "persons": [...]}]}``.

    Keypoints are ``[x1, y1, s1, ... x17, y17, s17]`` in COCO order and pixels of
    the original frame; ``s`` is the keypoint score (0-1), as in COCO results.
    Frames are streamed to the temporary file as they come, so memory stays flat
    however long the video (``python -m poseapp.soak annotate`` measures it).
    """

    def __init__(self, path: str | os.PathLike, header: dict) -> None:
        self.path = Path(path)
        self.tmp = _partial(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.header = dict(header)
        self.header.setdefault("keypoint_names", list(COCO_KEYPOINTS))
        self.header.pop("frames", None)
        head = json.dumps(self.header, separators=(",", ":"))[:-1]  # the header object, left open
        self._f = open(self.tmp, "w", encoding="utf-8")
        self._f.write(head + ("," if self.header else "") + '"frames":[')
        self._frames = 0

    def write(self, frame_index: int, time_s: float, persons: Poses) -> None:
        """One frame's persons (``Poses.to_json`` rows)."""
        entry = {"frame": int(frame_index), "time_s": round(float(time_s), 4), "persons": persons.to_json()}
        self._f.write(("," if self._frames else "") + json.dumps(entry, separators=(",", ":")))
        self._frames += 1

    def close(self) -> Path:
        self._f.write("]}")
        self._f.close()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        self._f.close()
        self.tmp.unlink(missing_ok=True)


class KeypointsCsvWriter:
    """One row per frame x person x keypoint, from the ``Poses`` arrays."""

    COLUMNS = ("frame", "time_s", "track_id", "keypoint", "name", "x", "y", "score")

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.tmp = _partial(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(self.tmp, "w", newline="", encoding="utf-8")
        self._w = csv.writer(self._f)
        self._w.writerow(self.COLUMNS)

    def write(self, frame_index: int, time_s: float, persons: Poses) -> None:
        names = [COCO_KEYPOINTS[j] if j < len(COCO_KEYPOINTS) else str(j) for j in range(persons.num_keypoints)]
        t = f"{time_s:.4f}"
        for tid, kps, scores in zip(persons.track_ids.tolist(), persons.keypoints.tolist(), persons.scores.tolist()):
            self._w.writerows((frame_index, t, tid, j, names[j], f"{x:.2f}", f"{y:.2f}", f"{s:.4f}")
                              for j, ((x, y), s) in enumerate(zip(kps, scores)))

    def close(self) -> Path:
        self._f.close()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        self._f.close()
        self.tmp.unlink(missing_ok=True)
