"""The worker thread: capture, inference and recording, off the GUI thread.

The window talks to it only through methods that queue a command (run on the
worker thread between two frames) and through Qt signals. Finished frames are
handed over newest-wins: ``packet_ready`` fires once, the window calls
``take_packet()``, and frames finished meanwhile replace each other, so a slow
window never builds a queue. Model, backend and detector loads (the first ONNX
export takes seconds) run on short-lived background threads while the old
model keeps serving frames; the result is swapped in before the next frame.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QThread, Signal

from ..errors import PoseappError, SourceError
from ..io import Frame, open_source
from ..pipeline import PipelineConfig
from ..runtime.manifest import resolve_backend
from .capture import LatestFrameReader
from .engine import BACKEND_NAMES, Engine, Packet, onnx_cached
from .recorder import Recorder
from .sources import source_label

log = logging.getLogger(__name__)


@dataclass
class SourceInfo:
    spec: str
    label: str
    live: bool
    frame_count: int | None
    fps: float
    size_wh: tuple[int, int]
    kind: str  # "video" or "images"


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, PoseappError):
        return str(exc)
    text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class PipelineWorker(QThread):
    packet_ready = Signal()
    message = Signal(str)  # progress and information, for the status bar
    error = Signal(str)  # one-line errors; the worker keeps running
    busy = Signal(str)  # what is loading now, "" when nothing
    source_opened = Signal(object)  # SourceInfo
    source_closed = Signal(str)  # why ("" when the user closed it)
    source_ended = Signal()  # end of a file with loop off
    playing_changed = Signal(bool)
    models_changed = Signal(object)  # [(model, backend)] per pane
    recording_changed = Signal(bool, object)  # on/off, the files written on stop
    compare_failed = Signal()  # the second pane's model could not be loaded

    def __init__(self, config: PipelineConfig, opener: Callable[[str], object] | None = None) -> None:
        super().__init__()
        self.engine = Engine(config)
        self.opener = opener or (lambda spec: open_source(spec))
        self._commands: queue.Queue[Callable[[], None]] = queue.Queue()
        self._quit = False
        self._lock = threading.Lock()
        self._latest: Packet | None = None
        self._signalled = False
        # source and playback state (worker thread only)
        self._spec: str | None = None
        self._src = None
        self._info: SourceInfo | None = None
        self._reader: LatestFrameReader | None = None
        self._playing = False
        self._steps = 0
        self._refresh = False
        self._ended = False
        self._pos = 0  # index of the next frame of a file
        self._seq = 0
        self._dropped = 0
        self._last_frame: Frame | None = None
        self.loop = True
        self.real_time = False
        self._clock: tuple[float, float] | None = None  # (wall s, media s) when real-time playback (re)started
        # loads
        self._gen = {"a": 0, "b": 0, "det": 0}
        self._pending: dict[str, str] = {}
        self._hold = True  # no frame before the first model and detector are in
        self._recorder: Recorder | None = None
        self._pause_after: int | None = None
        self._jobs: list[threading.Thread] = []

    # ------------------------------------------------------------ public (any thread)
    def post(self, fn: Callable[[], None]) -> None:
        self._commands.put(fn)

    def take_packet(self) -> Packet | None:
        with self._lock:
            packet, self._latest, self._signalled = self._latest, None, False
            return packet

    def open_source(self, spec: str) -> None:
        self.post(lambda: self._open(spec))

    def reopen(self) -> None:
        self.post(lambda: self._open(self._spec) if self._spec is not None else self.error.emit("no source to reopen yet"))

    def close_source(self) -> None:
        self.post(lambda: self._close(""))

    def set_playing(self, playing: bool) -> None:
        self.post(lambda: self._set_playing(playing))

    def toggle_play(self) -> None:
        self.post(lambda: self._set_playing(not self._playing))

    def step(self) -> None:
        self.post(self._step)

    def seek(self, index: int) -> None:
        self.post(lambda: self._seek(index))

    def set_loop(self, on: bool) -> None:
        self.post(lambda: setattr(self, "loop", bool(on)))

    def set_real_time(self, on: bool) -> None:
        def apply() -> None:
            self.real_time = bool(on)
            self._clock = None
        self.post(apply)

    def set_model(self, model: str, backend: str) -> None:
        self.post(lambda: self._load_runner("a", model, backend))

    def set_compare(self, model: str | None, backend: str = "onnx") -> None:
        """Compare with ``model`` on ``backend`` side by side; None turns compare mode off."""
        def apply() -> None:
            if model is None:
                self._gen["b"] += 1
                self._pending.pop("b", None)
                if self.engine.comparing:
                    self._stop_recording("recording stopped and saved: compare mode changed")
                self.engine.set_runner_b(None)
                self._emit_models()
                self._busy()
                self._refresh = True
            else:
                self._load_runner("b", model, backend)
        self.post(apply)

    def set_detector(self, spec: str | None) -> None:
        self.post(lambda: self._load_detector(spec))

    def apply_settings(self, values: dict) -> None:
        """Settings changed in the window (``{name: value}``): the next frame runs with them."""
        def apply() -> None:
            self.engine.apply_settings(values)
            self._refresh = True
        self.post(apply)

    def start_recording(self, outdir: str | Path) -> None:
        self.post(lambda: self._start_recording(Path(outdir)))

    def stop_recording(self) -> None:
        self.post(lambda: self._stop_recording(None))

    def pause_after(self, frames: int) -> None:
        """Pause by itself once ``frames`` frames of the current source were processed (scripted runs)."""
        self.post(lambda: setattr(self, "_pause_after", int(frames)))

    def stop(self, timeout_ms: int | None = 5000) -> bool:
        """End the thread (closing the source and any recording) and the loads still running;
        wait ``timeout_ms`` for each (None: for as long as they take).

        A load thread still inside torch or ONNX Runtime when Python exits aborts the process,
        so they are joined too.
        """
        def quit_() -> None:
            self._quit = True
        self.post(quit_)
        done = self.wait() if timeout_ms is None else self.wait(timeout_ms)
        for job in list(self._jobs):
            job.join(None if timeout_ms is None else timeout_ms / 1000)
        return done and not any(j.is_alive() for j in self._jobs)

    # ------------------------------------------------------------ thread body
    def run(self) -> None:
        try:
            while not self._quit:
                reading = self._can_read()
                self._drain(0.0 if reading else 0.05)
                if not self._quit and self._can_read():
                    self._read_and_process()
        finally:
            self._stop_recording(None)
            self._close_source()

    def _drain(self, block_s: float) -> None:
        try:
            fn = self._commands.get(timeout=block_s) if block_s > 0 else self._commands.get_nowait()
        except queue.Empty:
            return
        while True:
            try:
                fn()
            except Exception as exc:  # a command must never kill the thread
                log.exception("worker command failed")
                self.error.emit(_one_line(exc))
            try:
                fn = self._commands.get_nowait()
            except queue.Empty:
                return

    def _can_read(self) -> bool:
        if self._src is None or not self.engine.ready or self._hold:
            return False
        return self._playing or self._steps > 0 or (self._refresh and self._last_frame is not None)

    # ------------------------------------------------------------ frames
    def _read_and_process(self) -> None:
        if not self._playing and self._steps == 0:  # a paused frame re-shown with new settings
            self._refresh = False
            self._process(self._last_frame, record=False)
            return
        frame = self._next_frame()
        if frame is None:
            return
        if self._steps:
            self._steps -= 1
        self._refresh = False
        self._process(frame, record=True)

    def _next_frame(self) -> Frame | None:
        if self._reader is not None:
            frame = self._reader.take(0.1)
            if frame is None and self._reader.failed:
                self._lost(self._reader.failed)
            if frame is not None:
                self._dropped = self._reader.dropped
            return frame
        if self.real_time and self._playing and not self._pace():
            return None
        if self._src is None:  # closed by a command run while pacing
            return None
        try:
            frame = self._src.read()
        except SourceError as exc:  # a damaged image in a folder: report it and go on with the next
            self.error.emit(str(exc))
            self._pos += 1
            self._src.seek(self._pos)
            return None
        if frame is None:
            return self._at_end()
        self._pos = frame.index + 1
        return frame

    def _pace(self) -> bool:
        """Real-time playback of a file: wait for the frame's time, skip frames when behind."""
        fps = self._info.fps if self._info else 30.0
        now = time.monotonic()
        if self._clock is None:
            self._clock = (now, self._pos / fps)
        due = self._clock[0] + (self._pos / fps - self._clock[1])
        if now < due:
            self._drain(min(due - now, 0.05))
            return time.monotonic() >= due
        behind = int((now - due) * fps)
        if behind >= 1 and self._info and self._info.kind == "video":
            self._pos += behind
            self._dropped += behind
            self._src.seek(self._pos)
        return True

    def _at_end(self) -> None:
        if self.loop and self._seq > 0 and self._playing:
            self._src.seek(0)
            self._pos = 0
            self._clock = None
            self.engine.reset()
            return None
        self._ended = True
        self._steps = 0
        self._set_playing(False)
        self.source_ended.emit()
        return None

    def _process(self, frame: Frame, record: bool) -> None:
        if self._info is not None and self._info.kind == "images":
            self.engine.reset()  # independent photos: no tracks across them (as annotate)
        try:
            packet = self.engine.process(frame)
        except Exception as exc:
            log.exception("frame %d failed", frame.index)
            self.error.emit(f"frame {frame.index} failed: {_one_line(exc)}")
            self._set_playing(False)
            return
        self._last_frame = frame
        if record:
            self._seq += 1
            if self._pause_after is not None and self._seq >= self._pause_after:
                self._set_playing(False)
                self._steps = 0
        packet.seq = self._seq
        packet.frame_count = self._info.frame_count if self._info else None
        packet.live = bool(self._info and self._info.live)
        packet.dropped = self._dropped
        if record and self._recorder is not None:
            try:
                self._recorder.write(frame.index, frame.time_s, [p.result.persons for p in packet.panes], packet.composite())
            except Exception as exc:
                self._recorder.abort()
                self._recorder = None
                self.recording_changed.emit(False, [])
                self.error.emit(f"recording stopped: {_one_line(exc)}")
        with self._lock:
            self._latest = packet
            signal = not self._signalled
            self._signalled = True
        if signal:
            self.packet_ready.emit()

    # ------------------------------------------------------------ source commands
    def _open(self, spec: str) -> None:
        spec = str(spec).strip()
        self._close_source()
        self._spec = spec
        self.message.emit(f"opening {source_label(spec)}...")
        try:
            src = self.opener(spec)
        except Exception as exc:
            self.error.emit(_one_line(exc))
            self.source_closed.emit(_one_line(exc))
            return
        live = bool(getattr(src, "live", False))
        self._src = src
        self._info = SourceInfo(spec, source_label(spec), live, getattr(src, "frame_count", None),
                                float(getattr(src, "fps", 30.0) or 30.0), tuple(getattr(src, "size", (0, 0))),
                                getattr(src, "kind", "video"))
        self._reader = LatestFrameReader(src) if live else None
        self._pos = self._seq = self._dropped = 0
        self._steps = 0
        self._ended = False
        self._last_frame = None
        self._clock = None
        self.engine.reset()
        self.source_opened.emit(self._info)
        self._set_playing(True)

    def _close_source(self) -> None:
        self._stop_recording(None)
        if self._reader is not None:
            self._reader.close()  # the reader thread closes the source
        elif self._src is not None:
            self._src.close()
        self._reader = None
        self._src = None
        self._info = None
        self._playing = False

    def _close(self, why: str) -> None:
        self._close_source()
        self.playing_changed.emit(False)
        self.source_closed.emit(why)

    def _lost(self, reason: str) -> None:
        label = self._info.label if self._info else "source"
        why = f"{label} lost ({reason}): reconnect it and press Reopen (F5)"
        self._close(why)
        self.error.emit(why)

    def _set_playing(self, playing: bool) -> None:
        if playing and self._ended and self._src is not None and not (self._info and self._info.live):
            self._seek(0)
        self._playing = bool(playing) and self._src is not None
        self._clock = None
        self.playing_changed.emit(self._playing)

    def _step(self) -> None:
        if self._src is None:
            return
        if self._ended:
            self._seek(0)
        self._set_playing(False)
        self._steps += 1

    def _seek(self, index: int) -> None:
        if self._src is None or (self._info and self._info.live):
            return
        count = self._info.frame_count if self._info else None
        index = max(0, min(int(index), (count - 1) if count else int(index)))
        self._src.seek(index)
        self._pos = index
        self._ended = False
        self._clock = None
        self.engine.reset()
        if not self._playing:
            self._steps = max(self._steps, 1)  # show the frame sought to

    # ------------------------------------------------------------ loads
    def _busy(self) -> None:
        self.busy.emit(", ".join(self._pending.values()))
        if not self._pending and self._hold:
            self._hold = False

    def _emit_models(self) -> None:
        self.models_changed.emit([(p.runner.name, p.runner.backend) for p in self.engine.pipelines()])

    def _spawn(self, slot: str, what: str, job: Callable[[], object], done: Callable[[object], None]) -> None:
        self._gen[slot] += 1
        gen = self._gen[slot]
        self._pending[slot] = what
        self._busy()

        def body() -> None:
            try:
                result = job()
            except Exception as exc:
                log.debug("load failed", exc_info=True)
                err = exc  # ``exc`` is unbound after the except block; the lambda runs later
                self.post(lambda: self._finish(slot, gen, None, err, done))
            else:
                self.post(lambda: self._finish(slot, gen, result, None, done))

        thread = threading.Thread(target=body, name=f"poseapp-load-{slot}", daemon=True)
        self._jobs = [j for j in self._jobs if j.is_alive()] + [thread]
        thread.start()

    def _finish(self, slot: str, gen: int, result, exc: BaseException | None, done: Callable[[object], None]) -> None:
        if gen != self._gen[slot]:
            return  # a newer request replaced this one
        self._pending.pop(slot, None)
        if exc is not None:
            self.error.emit(_one_line(exc))
            if slot == "b":
                self.compare_failed.emit()
            self._emit_models()  # the window shows the models that really run
        else:
            done(result)
            self._refresh = True
        self._busy()

    def _load_runner(self, slot: str, model: str, backend: str) -> None:
        backend = resolve_backend(model, backend)  # auto: the runner (and its cache key) is the backend it picks
        def done(runner) -> None:
            # a recording's JSON header names its models: a new model ends it (files kept)
            self._stop_recording("recording stopped and saved: the model changed")
            if slot == "a":
                self.engine.set_runner_a(runner)
            else:
                self.engine.set_runner_b(runner)
            self._emit_models()
            self.message.emit(f"{'compare: ' if slot == 'b' else ''}{model} on {BACKEND_NAMES.get(backend, backend)}")

        cached = self.engine.cached_runner(model, backend)
        if cached is not None:
            self._gen[slot] += 1
            self._pending.pop(slot, None)
            done(cached)
            self._refresh = True
            self._busy()
            return
        what = f"exporting {model} to ONNX (first time only)" if backend == "onnx" and not onnx_cached(model) \
            else f"loading {model} ({BACKEND_NAMES.get(backend, backend)})"
        self._spawn(slot, what, lambda: self.engine.load_runner(model, backend), done)

    def _load_detector(self, spec: str | None) -> None:
        def done(det) -> None:
            self.engine.set_detector(det)
            self._emit_models()
            self.message.emit(f"detector {getattr(det, 'name', spec)}")
        self._spawn("det", f"loading detector {Path(spec).name if spec else '(default)'}",
                    lambda: self.engine.load_detector(spec), done)

    # ------------------------------------------------------------ recording
    def _start_recording(self, outdir: Path) -> None:
        if self._recorder is not None:
            return
        if self._info is None or not self.engine.ready:
            self.error.emit("nothing to record: open a source first")
            self.recording_changed.emit(False, [])
            return
        try:
            outdir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.error.emit(f"cannot record into {outdir} ({exc.strerror}): choose another output folder")
            self.recording_changed.emit(False, [])
            return
        fps = self._info.fps if not self._info.live else max(1.0, min(self._info.fps, 60.0))
        self._recorder = Recorder(outdir, self._info.label, fps, self.engine.headers(self._info.spec, fps))
        self.recording_changed.emit(True, [])
        self.message.emit(f"recording into {outdir}")

    def _stop_recording(self, why: str | None) -> None:
        rec, self._recorder = self._recorder, None
        if rec is None:
            return
        try:
            paths = rec.stop()
        except Exception as exc:
            rec.abort()
            self.error.emit(f"recording failed: {_one_line(exc)}")
            paths = []
        self.recording_changed.emit(False, paths)
        if why:
            self.message.emit(why)
