"""Newest-frame-wins capture for live sources (cameras, streams).

A thread reads the source as fast as it delivers and keeps only the newest
frame; the inference loop takes that one and older unread frames are dropped,
so latency stays at about one processing time. OpenCV's own buffer is set to
one frame by ``open_source(live=True)`` where the backend allows it.
"""
from __future__ import annotations

import threading
import time

from ..io import Frame


class LatestFrameReader:
    """Reads ``source`` on its own thread; ``take()`` returns the newest unread frame."""

    def __init__(self, source, lost_after_s: float = 2.0) -> None:
        self.source = source
        self.lost_after_s = lost_after_s
        self.dropped = 0  # frames read but never taken
        self.failed: str | None = None  # why the source stopped delivering
        self._frame: Frame | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="poseapp-capture", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last_ok = time.monotonic()
        try:
            while not self._stop.is_set():
                try:
                    frame = self.source.read()
                except Exception as exc:  # a driver error: treat like an unplugged camera
                    self._fail(f"{type(exc).__name__}: {str(exc)[:100]}")
                    return
                if frame is None:
                    if time.monotonic() - last_ok > self.lost_after_s:
                        self._fail(f"no frame for {self.lost_after_s:.0f} s")
                        return
                    time.sleep(0.02)
                    continue
                last_ok = time.monotonic()
                with self._cond:
                    if self._frame is not None:
                        self.dropped += 1
                    self._frame = frame
                    self._cond.notify_all()
        finally:
            self.source.close()

    def _fail(self, reason: str) -> None:
        with self._cond:
            self.failed = reason
            self._cond.notify_all()

    def take(self, timeout_s: float = 0.1) -> Frame | None:
        """The newest frame not taken yet, waiting up to ``timeout_s``; None if none came."""
        with self._cond:
            if self._frame is None and self.failed is None:
                self._cond.wait(timeout_s)
            frame, self._frame = self._frame, None
            return frame

    def close(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)
