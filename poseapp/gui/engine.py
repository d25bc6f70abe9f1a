"""The window's inference core, without Qt: one ``Pipeline`` (two in compare
mode) fed frame by frame, with live figures and pose agreement.

It holds ``poseapp.pipeline.Pipeline`` objects, the same class ``annotate``
runs, so the GUI has no inference path of its own. Only the worker thread
calls ``process`` and the ``set_*`` methods; ``load_runner`` and
``load_detector`` are safe to call from background threads (they block: a
first ONNX export takes seconds).
"""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..detect import create_detector
from ..io import Frame
from ..pipeline import FrameResult, Pipeline, PipelineConfig
from ..runtime import create_runner
from ..runtime.runners import cache_dir
from ..settings import update
from .compare import Agreement, AgreementStats, SharedDetector, agreement, draw_agreement
from .figures import PaneFigures, StageWindow

BACKEND_NAMES = {"auto": "Auto (fastest shipped)", "torch": "PyTorch", "onnx": "ONNX Runtime",
                 "onnx-int8": "ONNX Runtime int8"}
# runners kept for quick switching back (the least recently used beyond this are dropped, unless a pane
# runs them): each holds a network and, on ONNX backends, an ONNX Runtime session with its thread pool
RUNNER_CACHE = 4

# load_model seeds torch's global RNG for untrained nets and ONNX export writes a
# fixed temporary name: loading two runners at once must not interleave.
_LOAD_LOCK = threading.Lock()


@dataclass
class Pane:
    """One pipeline's view of one frame."""

    model: str
    backend: str
    image_bgr: np.ndarray  # annotated
    result: FrameResult
    figures: PaneFigures

    @property
    def title(self) -> str:
        return f"{self.model} · {BACKEND_NAMES.get(self.backend, self.backend)}"


@dataclass
class Packet:
    """Everything the window shows for one processed frame."""

    frame_index: int
    time_s: float
    panes: list[Pane]
    agreement: Agreement | None = None
    running_oks: float | None = None
    compare_frames: int = 0
    keypoint_agreement: np.ndarray | None = None
    seq: int = 0  # frames processed since the source was opened
    frame_count: int | None = None
    live: bool = False
    dropped: int = 0

    def composite(self, gap_px: int = 4) -> np.ndarray:
        """The panes side by side (one pane: its image), as shown and recorded."""
        if len(self.panes) == 1:
            return self.panes[0].image_bgr
        h = max(p.image_bgr.shape[0] for p in self.panes)
        parts = []
        for i, p in enumerate(self.panes):
            img = p.image_bgr
            if img.shape[0] != h:
                img = np.pad(img, ((0, h - img.shape[0]), (0, 0), (0, 0)))
            if i:
                parts.append(np.zeros((h, gap_px, 3), np.uint8))
            parts.append(img)
        return np.hstack(parts)


def onnx_cached(model: str) -> bool:
    """Whether an ONNX export of ``model`` is already in the cache (a hint for messages)."""
    return any(cache_dir().glob(f"{model}-*.onnx"))


class Engine:
    """Pipeline A (and B in compare mode) with a shared detector and live figures."""

    def __init__(self, config: PipelineConfig) -> None:
        self.config = config  # pipeline A's; B runs a copy with its own model and backend
        self.detector: SharedDetector | None = None
        self.pipeline_a: Pipeline | None = None
        self.pipeline_b: Pipeline | None = None
        self._runner_a = None
        self._runner_b = None
        self.windows = [StageWindow(), StageWindow()]
        self.agreement_stats = AgreementStats()
        self._runners: OrderedDict[tuple[str, str], object] = OrderedDict()  # least recently used first
        self._cache_lock = threading.Lock()

    # ---- loading (any thread) ----
    def cached_runner(self, model: str, backend: str):
        with self._cache_lock:
            runner = self._runners.get((model, backend))
            if runner is not None:
                self._runners.move_to_end((model, backend))
            return runner

    def load_runner(self, model: str, backend: str):
        """A runner for ``model`` on ``backend``, built once and kept while it is among the
        ``RUNNER_CACHE`` last used (blocks on a first ONNX export)."""
        runner = self.cached_runner(model, backend)
        if runner is not None:
            return runner
        with _LOAD_LOCK:
            # the model list marks networks without trained weights "(untrained)": picking one is the user's choice
            runner = self.cached_runner(model, backend) or create_runner(model, backend, None, self.config.threads,
                                                                          allow_untrained=True)
        with self._cache_lock:
            self._runners[(model, backend)] = runner
            self._runners.move_to_end((model, backend))
            in_use = {id(runner), id(self._runner_a), id(self._runner_b)}
            for key in [k for k, r in self._runners.items() if id(r) not in in_use][: max(0, len(self._runners) - RUNNER_CACHE)]:
                del self._runners[key]  # its session goes with the last reference
        return runner

    def load_detector(self, spec: str | None):
        with _LOAD_LOCK:
            return create_detector(spec or None, conf=self.config.det_conf)

    # ---- configuration (worker thread) ----
    @property
    def ready(self) -> bool:
        return self.pipeline_a is not None

    def set_detector(self, detector) -> None:
        if self.detector is None:
            self.detector = SharedDetector(detector)
        else:
            self.detector.inner = detector
            self.detector.forget()
        self.config.detector = getattr(detector, "name", None)
        self._build()

    def set_runner_a(self, runner) -> None:
        self._runner_a = runner
        if self.pipeline_a is not None:
            self.pipeline_a.set_runner(runner)
            self.windows[0].reset()
        self._build()

    def set_runner_b(self, runner) -> None:
        """Start compare mode with ``runner`` as the second pane, or stop it (None)."""
        self._runner_b = runner
        self.agreement_stats.reset()
        self.windows[1].reset()
        if runner is None:
            self.pipeline_b = None
        elif self.pipeline_b is not None:
            self.pipeline_b.set_runner(runner)
        self._build()
        if runner is not None:  # both panes start from the same state: filter history must not make them differ
            self.reset()

    @property
    def comparing(self) -> bool:
        return self._runner_b is not None

    def _build(self) -> None:
        if self.detector is None or self._runner_a is None:
            return
        if self.pipeline_a is None:
            self.pipeline_a = Pipeline(self.config, detector=self.detector, runner=self._runner_a)
        if self._runner_b is not None and self.pipeline_b is None:
            cfg = copy.deepcopy(self.config)
            cfg.model, cfg.backend = self._runner_b.name, self._runner_b.backend
            self.pipeline_b = Pipeline(cfg, detector=self.detector, runner=self._runner_b)

    def pipelines(self) -> list[Pipeline]:
        return [p for p in (self.pipeline_a, self.pipeline_b) if p is not None]

    def apply_settings(self, values: dict) -> None:
        """Settings changed in the window (``{name: value}``, see ``poseapp.settings``): every pipeline
        reads them from its config on its next frame (the detector's threshold too)."""
        smooth_turned_on = values.get("smooth", False) and not self.config.smooth
        for config in [self.config, *(p.config for p in self.pipelines() if p.config is not self.config)]:
            update(config, values)
        if smooth_turned_on:  # no filter state from before it was off
            for p in self.pipelines():
                p.smoother.reset()

    def reset(self) -> None:
        """A new source, a seek or a new image: forget tracks and filter state."""
        for p in self.pipelines():
            p.reset()
        if self.detector is not None:
            self.detector.forget()

    def headers(self, source_label: str, fps: float) -> list[dict]:
        """JSON headers of each pane, as ``annotate`` writes them."""
        return [{"video": source_label, "fps": fps, **p.describe()} for p in self.pipelines()]

    # ---- one frame (worker thread) ----
    def process(self, frame: Frame) -> Packet:
        a, b = self.pipeline_a, self.pipeline_b
        if a is None:
            raise RuntimeError("engine not ready: no detector or pose model loaded yet")
        img = frame.image
        results = [a.process(img, frame.index, frame.time_s)]
        if b is not None:
            res_b = b.process(img, frame.index, frame.time_s)
            if res_b.detected and results[0].detected:  # the detector ran once for both: charge both
                res_b.timings_ms["detect"] = results[0].timings_ms["detect"]
            results.append(res_b)
        panes = []
        for i, (pipe, res) in enumerate(zip(self.pipelines(), results)):
            canvas = pipe.render(img.copy(), res)
            self.windows[i].add(res.timings_ms, len(res.persons))
            panes.append(Pane(pipe.runner.name, pipe.runner.backend, canvas, res, self.windows[i].figures()))
        packet = Packet(frame.index, frame.time_s, panes)
        if b is not None:
            agr = agreement(results[0].persons, results[1].persons, self.config.kpt_threshold)
            self.agreement_stats.add(agr)
            draw_agreement(panes[1].image_bgr, results[0].persons, results[1].persons, agr)
            packet.agreement = agr
            packet.running_oks = self.agreement_stats.running_oks
            packet.compare_frames = self.agreement_stats.frames
            packet.keypoint_agreement = self.agreement_stats.keypoint_means()
        return packet
