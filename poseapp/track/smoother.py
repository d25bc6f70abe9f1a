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
    """Smooths keypoint arrays per track id: ``smooth`` takes a frame's ``N x K x 2``, a call one ``K x 2``.

    ``config`` is read on every call (``min_cutoff`` in Hz, lower = smoother at rest; ``beta`` per px/s,
    higher = less lag when moving; ``d_cutoff`` in Hz, for the speed estimate), so changes apply at once.
    """

    def __init__(self, config: Settings | None = None) -> None:
        self.config = config or Settings()
        self._states: dict[int, _State] = {}

    def __call__(self, track_id: int, t_s: float, keypoints_xy: np.ndarray) -> np.ndarray:
        """One track's ``K x 2`` keypoints at time ``t_s``, smoothed."""
        return self.smooth(np.array([track_id]), t_s, np.asarray(keypoints_xy)[None])[0]

    def smooth(self, track_ids: np.ndarray, t_s: float, keypoints: np.ndarray) -> np.ndarray:
        """The ``N x K x 2`` keypoints of the tracks ``track_ids`` (N) at time ``t_s``, smoothed in one
        vectorised step (each track with its own time since it was last seen); float32."""
        x = np.asarray(keypoints, np.float64)
        out = x.copy()
        states = [self._states.get(int(tid)) for tid in track_ids]
        go_on = [i for i, st in enumerate(states) if st is not None and t_s > st.t]
        for i in sorted(set(range(len(states))) - set(go_on)):  # new tracks (or time going back): the raw pose
            self._states[int(track_ids[i])] = _State(t_s, x[i].copy())
        if go_on:
            c = self.config
            prev = [states[i] for i in go_on]
            dt = (t_s - np.array([st.t for st in prev]))[:, None, None]
            x_prev, dx_prev = np.stack([st.x for st in prev]), np.stack([st.dx for st in prev])
            dx = (x[go_on] - x_prev) / dt
            a_d = _alpha(c.d_cutoff, dt)
            dx_hat = a_d * dx + (1 - a_d) * dx_prev
            speed = np.linalg.norm(dx_hat, axis=-1, keepdims=True)
            a = _alpha(c.min_cutoff + c.beta * speed, dt)
            x_hat = a * x[go_on] + (1 - a) * x_prev
            for j, st in enumerate(prev):
                st.t, st.x, st.dx = t_s, x_hat[j], dx_hat[j]
            out[go_on] = x_hat
        return out.astype(np.float32)

    def drop(self, track_ids) -> None:
        for tid in track_ids:
            self._states.pop(int(tid), None)

    def reset(self) -> None:
        self._states.clear()

    def __len__(self) -> int:
        return len(self._states)
