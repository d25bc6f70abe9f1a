"""One Euro filter (Casiez et al. 2012) per track and keypoint, time-based.

The filter's cutoff adapts to speed: slow motion is smoothed hard (no jitter),
fast motion lightly (little lag). It uses each frame's timestamp, so dropped
frames do not distort it. State is kept per track id and dropped when the
track ends. All keypoints of a track are filtered in one vectorised step.
"""
from __future__ import annotations

import math

import numpy as np

from ..settings import Settings


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class _State:
    __slots__ = ("t", "x", "dx")

    def __init__(self, t: float, x: np.ndarray) -> None:
        self.t = t
        self.x = x
        self.dx = np.zeros_like(x)


class PoseSmoother:
    """Smooths ``K x 2`` keypoint arrays per track id.

    ``config`` is read on every call (``min_cutoff`` in Hz, lower = smoother at rest; ``beta`` per px/s,
    higher = less lag when moving; ``d_cutoff`` in Hz, for the speed estimate), so changes apply at once.
    """

    def __init__(self, config: Settings | None = None) -> None:
        self.config = config or Settings()
        self._states: dict[int, _State] = {}

    def __call__(self, track_id: int, t_s: float, keypoints_xy: np.ndarray) -> np.ndarray:
        x = np.asarray(keypoints_xy, np.float64)
        st = self._states.get(track_id)
        if st is None or t_s <= st.t:
            self._states[track_id] = _State(t_s, x.copy())
            return x.astype(np.float32)
        c = self.config
        dt = t_s - st.t
        dx = (x - st.x) / dt
        a_d = _alpha(c.d_cutoff, dt)
        dx_hat = a_d * dx + (1 - a_d) * st.dx
        speed = np.linalg.norm(dx_hat, axis=-1, keepdims=True)
        a = _alpha(c.min_cutoff + c.beta * speed, dt)
        x_hat = a * x + (1 - a) * st.x
        st.t, st.x, st.dx = t_s, x_hat, dx_hat
        return x_hat.astype(np.float32)

    def drop(self, track_ids) -> None:
        for tid in track_ids:
            self._states.pop(int(tid), None)

    def reset(self) -> None:
        self._states.clear()

    def __len__(self) -> int:
        return len(self._states)
