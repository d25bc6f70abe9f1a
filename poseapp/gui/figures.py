"""Live figures computed from ``FrameResult``s: pipeline FPS, PPS, per-stage ms.

No Qt here. ``StageWindow`` keeps the results of the last second (at least a
few frames) and averages them, so the numbers stay readable while they move.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

STAGES: tuple[str, ...] = ("detect", "track", "crop", "pose", "decode", "smooth", "draw")
POSE_STAGES: tuple[str, ...] = ("crop", "pose", "decode")  # what PPS counts, as in ``annotate``


@dataclass
class PaneFigures:
    """Averages over the recent window of one pipeline."""

    pipeline_fps: float = 0.0  # 1000 / mean ms per frame: the rate this pipeline sustains
    pps: float = 0.0  # persons per second of the pose stage (crop + pose + decode)
    persons: int = 0  # in the newest frame
    stage_ms: dict[str, float] = field(default_factory=dict)  # mean ms per stage

    @property
    def total_ms(self) -> float:
        return sum(self.stage_ms.values())


class StageWindow:
    """Rolling mean of stage timings over ``window_s`` seconds (at least ``min_frames``)."""

    def __init__(self, window_s: float = 1.0, min_frames: int = 3, clock=time.monotonic) -> None:
        self.window_s = window_s
        self.min_frames = min_frames
        self.clock = clock
        self._items: deque[tuple[float, dict[str, float], int]] = deque()

    def add(self, timings_ms: dict[str, float], persons: int) -> None:
        now = self.clock()
        self._items.append((now, dict(timings_ms), persons))
        while len(self._items) > self.min_frames and now - self._items[0][0] > self.window_s:
            self._items.popleft()

    def reset(self) -> None:
        self._items.clear()

    def figures(self) -> PaneFigures:
        if not self._items:
            return PaneFigures()
        n = len(self._items)
        stage_ms = {s: sum(t.get(s, 0.0) for _, t, _ in self._items) / n for s in STAGES}
        total_ms = sum(stage_ms.values())
        pose_s = sum(sum(t.get(s, 0.0) for s in POSE_STAGES) for _, t, _ in self._items) / 1e3
        persons = sum(p for _, _, p in self._items)
        return PaneFigures(
            pipeline_fps=1000.0 / total_ms if total_ms > 0 else 0.0,
            pps=persons / pose_s if pose_s > 0 else 0.0,
            persons=self._items[-1][2],
            stage_ms=stage_ms,
        )


class RateMeter:
    """Events per second (e.g. frames shown) from the last ``max_events`` within ``window_s``.

    Slow rates (one frame every few seconds) still read right, and the rate
    decays when events stop: it is never above 1 / (time since the last one).
    """

    def __init__(self, window_s: float = 10.0, max_events: int = 30, clock=time.monotonic) -> None:
        self.window_s = window_s
        self.clock = clock
        self._times: deque[float] = deque(maxlen=max_events)

    def tick(self) -> None:
        self._times.append(self.clock())

    def reset(self) -> None:
        self._times.clear()

    @property
    def rate(self) -> float:
        now = self.clock()
        while self._times and now - self._times[0] > self.window_s:
            self._times.popleft()
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        rate = (len(self._times) - 1) / span if span > 0 else 0.0
        since_last = now - self._times[-1]
        return min(rate, 1.0 / since_last) if since_last > 0 else rate


class History:
    """Samples ``(t_s, {series: value})`` of the last ``span_s`` seconds, for the rolling plot."""

    def __init__(self, span_s: float = 30.0, clock=time.monotonic) -> None:
        self.span_s = span_s
        self.clock = clock
        self.samples: deque[tuple[float, dict[str, float]]] = deque()

    def add(self, values: dict[str, float]) -> None:
        now = self.clock()
        self.samples.append((now, dict(values)))
        while self.samples and now - self.samples[0][0] > self.span_s:
            self.samples.popleft()

    def clear(self) -> None:
        self.samples.clear()

    def series(self, name: str) -> list[tuple[float, float]]:
        return [(t, v[name]) for t, v in self.samples if name in v]
