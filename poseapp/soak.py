"""Soak runs: does poseapp stay flat over thousands of frames?

Three runs, each a function the tests call at a small size and a script
(``python -m poseapp.soak annotate|gui|runners``) that runs them at full size and
prints the figures that go into ``docs/benchmarks.md``:

- ``soak_annotate``: ``poseapp annotate``'s own loop (``annotate_input``) over a
  long real video, made by looping a clip into a file in a temporary folder
  (``looped_video``: packets copied, nothing re-encoded). It samples the peak
  resident memory (``VmHWM``) and the current one (``VmRSS``) at given frames.
- ``soak_gui``: the GUI's worker thread (``PipelineWorker``, the window's whole
  inference side, without a window) on a camera that is unplugged half-way
  through, switching model and backend every ``switch_every`` frames. It checks
  that the worker keeps running, reports the loss as a one-line error, fails
  again while the camera is still away, resumes on Reopen once it is back, and
  samples threads, live ONNX Runtime sessions and memory at every switch.
- ``soak_runners``: the GUI engine's runner cache alone (``Engine.load_runner``,
  no video, no detector), cycled many times through more model/backend pairs
  than it keeps, each runner used on a batch of crops: memory and ONNX Runtime
  sessions after every cycle, to tell whether rebuilding dropped runners leaks.

The camera is a video file read at the camera's frame rate on the real capture
path (``LatestFrameReader``, frames dropped when the pipeline is slower); it
"unplugs" by raising from ``read()`` as a driver does, and opening it fails
while it is away, as ``open_source`` does for a missing camera.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sys
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import PoseappError, SourceError


# ---------------------------------------------------------------- measurements
def _status_kb(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise PoseappError(f"/proc/self/status has no {key}: soak runs need Linux")


def rss_mb() -> float:
    """Resident memory of this process now, MiB."""
    return _status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (``VmHWM``), MiB."""
    return _status_kb("VmHWM") / 1024


def native_threads() -> int:
    """OS threads of this process (Python's, Qt's, OpenMP's and ONNX Runtime's pools)."""
    return len(os.listdir("/proc/self/task"))


def onnx_sessions() -> int:
    """Live ONNX Runtime inference sessions in this process."""
    try:
        import onnxruntime as ort
    except ImportError:
        return 0
    gc.collect()
    with warnings.catch_warnings():  # isinstance on some of torch's module objects warns of deprecations
        warnings.simplefilter("ignore")
        return sum(1 for o in gc.get_objects() if isinstance(o, ort.InferenceSession))


# ---------------------------------------------------------------- inputs
def looped_video(src: str | os.PathLike, frames: int, out: str | os.PathLike) -> tuple[Path, int]:
    """Write ``src`` looped until it has at least ``frames`` frames to ``out`` (an MP4), by copying its
    packets with shifted timestamps (no re-encoding: seconds for 10,000 frames). The file ends at the
    end of a group of pictures (before a key frame, or at the end of a loop): cut elsewhere, B-frames
    would lose the frames they refer to. Returns the file and its frame count."""
    import av

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(src)) as inp:
        s_in = inp.streams.video[0]
        packets = [p for p in inp.demux(s_in) if p.pts is not None and p.dts is not None]
        if not packets:
            raise SourceError(f"{src} has no video packets to loop")
        pts = sorted(p.pts for p in packets)  # demux order is decode order: B-frames come out of pts order
        step = pts[1] - pts[0] if len(pts) > 1 else 1
        span = pts[-1] - pts[0] + step
        loops = max(1, math.ceil(frames / len(packets)))
        with av.open(str(out), "w", format="mp4") as dst:
            s_out = dst.add_stream_from_template(s_in)
            base = [(p.pts, p.dts) for p in packets]
            tb = s_in.time_base
            written = 0
            for k in range(loops):
                for p, (pts, dts) in zip(packets, base):
                    if written >= frames and p.is_keyframe:
                        break
                    p.time_base = tb  # muxing may rescale a packet's timestamps in place
                    p.pts, p.dts = pts + k * span, dts + k * span
                    p.stream = s_out
                    dst.mux(p)
                    written += 1
                if written >= frames:
                    break
    return out, written


class UnpluggableCamera:
    """A camera that can be unplugged: a looped video file read at ``fps``, ``live`` as a camera is.

    ``read()`` raises ``OSError`` while unplugged (as a driver does for a removed device);
    ``opener`` fails as ``open_source`` does for a missing camera while it is unplugged.
    """

    kind = "video"
    live = True
    frame_count = None

    def __init__(self, path: str | os.PathLike, fps: float, plug: "Plug") -> None:
        from .io import VideoSource

        self._video = VideoSource(str(path))
        self.fps, self.size = fps, self._video.size
        self.plug = plug
        self._index = 0
        self._next = time.monotonic()
        self._t0 = self._next

    def read(self):
        from .io import Frame

        if not self.plug.plugged:
            raise OSError("camera unplugged")
        delay = self._next - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._next = max(self._next + 1.0 / self.fps, time.monotonic() - 1.0)
        frame = self._video.read()
        if frame is None:  # the file ends, the camera does not
            self._video.seek(0)
            frame = self._video.read()
        self._index += 1
        return Frame(frame.image, self._index - 1, time.monotonic() - self._t0)

    def seek(self, index: int) -> None:  # a camera does not seek
        pass

    def close(self) -> None:
        self._video.close()


@dataclass
class Plug:
    plugged: bool = True
    opened: int = 0

    def opener(self, path: str | os.PathLike, fps: float):
        def open_(spec: str):
            if not self.plugged:
                raise SourceError(f"cannot open camera {spec}: check that it is connected and not in use by another program")
            self.opened += 1
            return UnpluggableCamera(path, fps, self)
        return open_


# ---------------------------------------------------------------- annotate
@dataclass
class AnnotateSoak:
    input: str
    frames: int
    marks: dict[int, dict[str, float]] = field(default_factory=dict)  # frame -> {"rss_mb", "peak_rss_mb"}
    wall_s: float = 0.0
    model: str = ""
    backend: str = ""

    def growth(self, a: int, b: int) -> float:
        """Relative growth of the peak RSS from frame ``a`` to frame ``b``."""
        return self.marks[b]["peak_rss_mb"] / self.marks[a]["peak_rss_mb"] - 1.0


class _Counting:
    """A pipeline that samples memory after the frames in ``marks`` (annotate calls it as a pipeline)."""

    def __init__(self, pipeline, marks: list[int], record: dict) -> None:
        self._p, self._marks, self._record, self._n = pipeline, set(marks), record, 0

    def __getattr__(self, name):
        return getattr(self._p, name)

    def process(self, *args, **kwargs):
        res = self._p.process(*args, **kwargs)
        self._n += 1
        if self._n in self._marks:
            self._record[self._n] = {"rss_mb": round(rss_mb(), 1), "peak_rss_mb": round(peak_rss_mb(), 1)}
        return res


def soak_annotate(video: str | os.PathLike, outdir: str | os.PathLike, marks: list[int], *,
                  model: str | None = None, backend: str | None = None, detector: str | None = None,
                  csv: bool = True) -> AnnotateSoak:
    """Annotate ``video`` (video, JSON and CSV written to ``outdir``) and sample memory at ``marks``."""
    from .annotate import AnnotateOptions, annotate_input
    from .pipeline import Pipeline, PipelineConfig

    cfg = PipelineConfig(detector=detector)
    if model:
        cfg.model = model
    if backend:
        cfg.backend = backend
    pipeline = Pipeline(cfg)
    record: dict = {}
    t0 = time.perf_counter()
    summary = annotate_input(_Counting(pipeline, marks, record), video,
                             AnnotateOptions(Path(outdir), video=True, csv=csv, progress=False))
    return AnnotateSoak(str(video), summary.frames, record, time.perf_counter() - t0, cfg.model, cfg.backend)


# ---------------------------------------------------------------- GUI worker
@dataclass
class GuiSoak:
    frames: int
    switches: list[dict] = field(default_factory=list)  # at each switch: frame, model, backend, threads, sessions, rss
    errors: list[str] = field(default_factory=list)  # one-line errors the worker reported
    lost_at: int | None = None
    resumed_at: int | None = None
    failed_reopens: int = 0
    first_seq_after_resume: int | None = None  # the reopened camera's first frame shown (1: none of the old one's)
    alive: bool = True
    wall_s: float = 0.0
    end: dict = field(default_factory=dict)


def soak_gui(video: str | os.PathLike, frames: int, switch_every: int, combos: list[tuple[str, str]], *,
             detector: str | None = None, lose_at: int | None = None, camera_fps: float = 30.0,
             timeout_s: float = 3600.0, progress: bool = False) -> GuiSoak:
    """Run the GUI's worker for ``frames`` processed frames of an unpluggable camera showing ``video``,
    switching to the next of ``combos`` (model, backend) every ``switch_every`` frames, the camera
    unplugged at frame ``lose_at`` (default: half-way) and plugged back after a failed Reopen."""
    from PySide6.QtCore import QCoreApplication, Qt

    from .gui.worker import PipelineWorker
    from .pipeline import PipelineConfig

    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])  # noqa: F841 - QThread needs one
    base_sessions = onnx_sessions()
    lose_at = frames // 2 if lose_at is None else lose_at
    plug = Plug()
    model, backend = combos[0]
    worker = PipelineWorker(PipelineConfig(model=model, backend=backend, detector=detector),
                            opener=plug.opener(video, camera_fps))
    out = GuiSoak(frames)
    closed = threading.Event()
    opened = threading.Event()
    direct = Qt.ConnectionType.DirectConnection  # no event loop here: slots run on the worker thread
    worker.error.connect(out.errors.append, direct)
    worker.source_closed.connect(lambda why: closed.set(), direct)
    worker.source_opened.connect(lambda info: opened.set(), direct)
    worker.set_model(model, backend)
    worker.set_detector(detector)
    worker.start()
    t0 = time.perf_counter()
    done = 0  # frames processed in earlier openings of the camera
    seq = 0  # frames processed since the camera was last opened
    combo = 0
    next_switch = switch_every

    def sample(tag: dict) -> dict:
        # sessions this run made: others in the process (a test suite's, say) are not the worker's
        return {**tag, "threads": native_threads(), "py_threads": threading.active_count(),
                "thread_names": sorted(t.name for t in threading.enumerate()),
                "onnx_sessions": onnx_sessions() - base_sessions, "runners": len(worker.engine._runners), "rss_mb": round(rss_mb(), 1)}

    def wait(event: threading.Event, what: str, limit_s: float = 120.0) -> None:
        if not event.wait(limit_s):
            raise PoseappError(f"soak: the worker did not {what} within {limit_s:.0f} s")
        event.clear()

    try:
        worker.open_source("0")
        wait(opened, "open the camera")
        while done + seq < frames:
            if time.perf_counter() - t0 > timeout_s:
                raise PoseappError(f"soak: {done + seq} of {frames} frames in {timeout_s:.0f} s")
            if not worker.isRunning():
                out.alive = False
                raise PoseappError("soak: the worker thread ended")
            packet = worker.take_packet()
            if packet is None:
                time.sleep(0.005)
                continue
            seq = packet.seq
            total = done + seq
            if out.resumed_at is not None and out.first_seq_after_resume is None:
                out.first_seq_after_resume = seq
            if progress and total % 500 < 1:
                print(f"  frame {total}", file=sys.stderr, flush=True)
            if total >= next_switch:
                combo = (combo + 1) % len(combos)
                model, backend = combos[combo]
                out.switches.append(sample({"frame": total, "model": model, "backend": backend}))
                worker.set_model(model, backend)
                next_switch += switch_every
            if out.lost_at is None and total >= lose_at:
                out.lost_at = total
                done, seq = total, 0
                plug.plugged = False  # the camera goes away
                wait(closed, "report the lost camera")
                worker.take_packet()  # the lost camera's last frame: the worker makes no more of them once closed
                worker.reopen()  # while it is still away: must fail with a one-line error
                wait(closed, "report the failed reopen")
                out.failed_reopens += 1
                plug.plugged = True
                worker.reopen()
                wait(opened, "reopen the camera")
                out.resumed_at = done
        out.frames = done + seq
        out.alive = worker.isRunning()
        out.end = sample({"frame": out.frames})
    finally:
        out.wall_s = time.perf_counter() - t0
        worker.close_source()
        if not worker.stop(30_000):
            out.alive = False
        # drop the Python slots before the interpreter exits: once, a 10k run ended in a PySide6 crash at
        # finalization ("bool_dealloc"), after its figures were out, with them still connected
        for signal in (worker.error, worker.source_closed, worker.source_opened):
            signal.disconnect()
        del worker
        gc.collect()
    return out


@dataclass
class RunnersSoak:
    cycles: list[dict] = field(default_factory=list)  # after each cycle: cycle, loads, runners, onnx_sessions, rss_mb
    cache: int = 0
    wall_s: float = 0.0

    def growth(self, a: int, b: int) -> float:
        """Relative RSS growth from after cycle ``a`` to after cycle ``b`` (1-based)."""
        return self.cycles[b - 1]["rss_mb"] / self.cycles[a - 1]["rss_mb"] - 1.0


def soak_runners(combos: list[tuple[str, str]], cycles: int, *, batch: int = 4, threads: int = 2) -> RunnersSoak:
    """Load each of ``combos`` in turn through the GUI engine's bounded runner cache, ``cycles`` times,
    running a batch of ``batch`` random crops through each; sample memory and sessions after each cycle."""
    import numpy as np

    from .gui import engine
    from .pipeline import PipelineConfig

    eng = engine.Engine(PipelineConfig(threads=threads))
    base_sessions = onnx_sessions()
    out = RunnersSoak(cache=engine.RUNNER_CACHE)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for c in range(1, cycles + 1):
        for model, backend in combos:
            runner = eng.load_runner(model, backend)
            h, w = runner.input_hw
            runner(rng.standard_normal((batch, 3, h, w), dtype=np.float32))
            del runner
        gc.collect()
        out.cycles.append({"cycle": c, "loads": c * len(combos), "runners": len(eng._runners),
                           "onnx_sessions": onnx_sessions() - base_sessions, "rss_mb": round(rss_mb(), 1)})
    out.wall_s = time.perf_counter() - t0
    return out


# ---------------------------------------------------------------- script
def _print_annotate(r: AnnotateSoak) -> None:
    print(f"annotate {r.input}: {r.frames} frames, {r.model} on {r.backend}, {r.frames / r.wall_s:.1f} FPS, {r.wall_s:.0f} s")
    for n, m in sorted(r.marks.items()):
        print(f"  frame {n:>6}: RSS {m['rss_mb']:.0f} MiB, peak RSS {m['peak_rss_mb']:.0f} MiB")


def _print_gui(r: GuiSoak) -> None:
    print(f"gui worker: {r.frames} frames in {r.wall_s:.0f} s ({r.frames / max(r.wall_s, 1e-9):.1f} FPS), "
          f"{len(r.switches)} model/backend switches, camera lost at frame {r.lost_at}, "
          f"{r.failed_reopens} failed reopen(s), resumed at frame {r.resumed_at}, worker alive: {r.alive}")
    for s in r.switches + [r.end]:
        what = f"-> {s['model']} / {s['backend']}" if "model" in s else "end"
        print(f"  frame {s['frame']:>6} {what:<28} threads {s['threads']:>3} (Python {s['py_threads']}), "
              f"ONNX sessions {s['onnx_sessions']}, runners kept {s['runners']}, RSS {s['rss_mb']:.0f} MiB")
    for e in dict.fromkeys(r.errors):
        print(f"  error shown: {e}")


def _print_runners(r: RunnersSoak) -> None:
    print(f"runner cache ({r.cache} kept): {r.cycles[-1]['loads']} loads in {r.wall_s:.0f} s")
    for s in r.cycles:
        print(f"  cycle {s['cycle']:>3} ({s['loads']:>4} loads): runners kept {s['runners']}, "
              f"ONNX sessions {s['onnx_sessions']}, RSS {s['rss_mb']:.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m poseapp.soak", description=__doc__.split("\n\n")[0])
    ap.add_argument("run", choices=("annotate", "gui", "runners"))
    ap.add_argument("--video", default="../shared/data/media/walkers_one_by_one_1394frames.mp4")
    ap.add_argument("--frames", type=int, default=10_000)
    ap.add_argument("--detector", default="../shared/data/detectors/yolox_nano.onnx")
    ap.add_argument("--model", default=None, help="annotate: the network (default: the default model)")
    ap.add_argument("--backend", default=None)
    ap.add_argument("--switch-every", type=int, default=500)
    ap.add_argument("--combos", default="sfm:onnx,lpn50:onnx-int8,sfm:torch,lpn50:onnx,sfm:onnx-int8,lpn50:torch",
                    help="gui, runners: the model:backend pairs switched through")
    ap.add_argument("--cycles", type=int, default=10, help="runners: passes through all the pairs")
    ap.add_argument("--workdir", default=None, help="where the looped video and outputs go (default: a temp folder)")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    combos = [tuple(c.split(":")) for c in args.combos.split(",")]
    if args.run == "runners":
        try:
            r = soak_runners(combos, args.cycles)
        except PoseappError as exc:
            print(f"poseapp soak: {exc}", file=sys.stderr)
            return 1
        _print_runners(r)
        if args.json:
            Path(args.json).write_text(json.dumps(asdict(r), indent=1))
        return 0
    import tempfile

    with tempfile.TemporaryDirectory(prefix="poseapp-soak-") as tmp:
        work = Path(args.workdir or tmp)
        try:
            video, n = looped_video(args.video, args.frames, work / "looped.mp4")
            print(f"looped {args.video} into {n} frames", flush=True)
            if args.run == "annotate":
                marks = sorted({1000, args.frames, *range(2000, args.frames, 2000)} & set(range(1, n + 1)))
                r = soak_annotate(video, work / "out", marks, model=args.model, backend=args.backend,
                                  detector=args.detector)
                _print_annotate(r)
                if 1000 in r.marks and args.frames in r.marks:
                    print(f"peak RSS growth from frame 1000 to {args.frames}: {100 * r.growth(1000, args.frames):+.1f}%")
                result = asdict(r)
            else:
                r = soak_gui(video, args.frames, args.switch_every, combos, detector=args.detector, progress=True)
                _print_gui(r)
                result = asdict(r)
        except PoseappError as exc:
            print(f"poseapp soak: {exc}", file=sys.stderr)
            return 1
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
