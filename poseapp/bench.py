"""``poseapp bench``: persons per second of the pose stage per model x backend x
batch, and end-to-end FPS with per-stage milliseconds on a video.

Protocol (DANet paper, seed 001): PPS at 256x192 over at least ``persons``
persons after warm-up, split into repeats to give a median and a spread. The
machine's peaks are measured in the same run (``measure_peaks``: fp32 matmuls and
3x3 convolutions in PyTorch and ONNX Runtime, and ONNX Runtime's int8 kernels for
the onnx-int8 rows), so "fraction of peak" is a ratio of figures measured together.

With ``--input native`` (each checkpoint at the size it ships at) the report also has
"app" rows: persons per second as the app runs a network on one person at a time,
crop, network with the checkpoint's own flip-test setting, decode and map-back
included (``bench_app``), and, with ``--teachers``, the MoveNet teachers under the
same protocol (square crop, network, map-back), so the two are compared like for like.
"""
from __future__ import annotations

import json
import os
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .cpuinfo import cpu_name
from .errors import PoseappError

# torch is imported where it is used: 'poseapp --help' builds this module's parser without it


@dataclass
class PoseBench:
    model: str
    backend: str
    batch: int
    gmacs: float
    pps_median: float
    pps_min: float
    pps_max: float
    ms_per_batch: float
    persons: int
    gmacs_per_s: float = 0.0
    peak_fraction: float = 0.0
    roofline_pps: float = 0.0
    input_hw: tuple[int, int] = (256, 192)


@dataclass
class VideoBench:
    model: str
    backend: str
    det_every: int
    frames: int
    persons: int
    fps: float
    stage_ms: dict[str, float] = field(default_factory=dict)
    input_hw: tuple[int, int] = (256, 192)  # the pose crop the app ran (the checkpoint's size)


@dataclass
class AppBench:
    """Persons per second of one person at a time through the whole estimator (or a teacher)."""

    model: str  # a network, or "movenet-thunder" / "movenet-lightning"
    backend: str
    input_hw: tuple[int, int]
    flip_test: bool
    decoder: str
    pps_median: float
    pps_min: float
    pps_max: float
    persons: int


def _best_rate(fn, macs: float, seconds: float, min_calls: int = 3) -> float:
    """GMAC/s of ``fn`` (``macs`` multiply-adds a call) from its fastest call over ``seconds``.

    The fastest call, not the mean: a peak must bound what the models reach, also
    when something else shares the machine for part of the run.
    """
    fn()  # warm-up: allocation, kernel selection
    best, n, t0 = float("inf"), 0, time.perf_counter()
    while n < min_calls or time.perf_counter() - t0 < seconds:
        tc = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - tc)
        n += 1
    return macs / best / 1e9


def _ort_session(graph, threads: int):
    """An ONNX Runtime session on an in-memory graph, set up as the app's runners are."""
    import onnx
    import onnxruntime as ort
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = min(model.ir_version, 8)
    onnx.checker.check_model(model)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def _tensor(name: str, arr: np.ndarray):
    from onnx import numpy_helper

    return numpy_helper.from_array(np.ascontiguousarray(arr), name)


def _fp32_candidates(threads: int, n: int, conv: tuple[int, int, int, int]) -> dict:
    """name -> (callable, MACs a call): n x n matmuls and a 3x3 convolution (same channels in
    and out, padding 1) in PyTorch and in ONNX Runtime."""
    import torch
    from onnx import TensorProto, helper

    rng = np.random.default_rng(0)
    torch.set_num_threads(threads)
    b, c, h, w = conv
    a_np = rng.standard_normal((n, n), np.float32)
    b_np = rng.standard_normal((n, n), np.float32)
    x_np = rng.standard_normal((b, c, h, w), np.float32)
    k_np = (rng.standard_normal((c, c, 3, 3), np.float32) * 0.05).astype(np.float32)
    mm_macs, conv_macs = float(n) ** 3, float(b * c * c * 9 * h * w)

    ta, tb = torch.from_numpy(a_np), torch.from_numpy(b_np)
    tx, tk = torch.from_numpy(x_np), torch.from_numpy(k_np)

    def torch_mm():
        with torch.inference_mode():
            torch.mm(ta, tb)

    def torch_conv():
        with torch.inference_mode():
            torch.nn.functional.conv2d(tx, tk, padding=1)

    mm = _ort_session(helper.make_graph(
        [helper.make_node("MatMul", ["A", "B"], ["Y"])], "peak_matmul",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [n, n])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [n, n])], [_tensor("B", b_np)]), threads)
    cv = _ort_session(helper.make_graph(
        [helper.make_node("Conv", ["X", "W"], ["Y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])], "peak_conv",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [b, c, h, w])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [b, c, h, w])], [_tensor("W", k_np)]), threads)
    return {
        "torch matmul": (torch_mm, mm_macs),
        "torch conv3x3": (torch_conv, conv_macs),
        "onnxruntime matmul": (lambda: mm.run(None, {"A": a_np}), mm_macs),
        "onnxruntime conv3x3": (lambda: cv.run(None, {"X": x_np}), conv_macs),
    }


def _int8_candidates(threads: int, n: int, conv: tuple[int, int, int, int]) -> dict:
    """name -> (callable, MACs a call): ONNX Runtime's int8 kernels (VNNI where the CPU has it) as
    the int8 models use them: uint8 activations, int8 weights per output channel."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(0)
    b, c, h, w = conv
    a_u8 = rng.integers(0, 256, (n, n), dtype=np.uint8)
    b_s8 = rng.integers(-127, 128, (n, n), dtype=np.int8)
    x_u8 = rng.integers(0, 256, (b, c, h, w), dtype=np.uint8)
    k_s8 = rng.integers(-127, 128, (c, c, 3, 3), dtype=np.int8)
    f32 = lambda v: np.asarray(v, np.float32)  # noqa: E731
    quant = [_tensor("a_scale", f32(0.02)), _tensor("a_zp", np.uint8(128)),
             _tensor("y_scale", f32(4.0)), _tensor("y_zp", np.uint8(128))]
    qmm = _ort_session(helper.make_graph(
        [helper.make_node("QLinearMatMul", ["A", "a_scale", "a_zp", "B", "b_scale", "b_zp", "y_scale", "y_zp"], ["Y"])],
        "peak_qmatmul", [helper.make_tensor_value_info("A", TensorProto.UINT8, [n, n])],
        [helper.make_tensor_value_info("Y", TensorProto.UINT8, [n, n])],
        quant + [_tensor("B", b_s8), _tensor("b_scale", f32(0.01)), _tensor("b_zp", np.int8(0))]), threads)
    mmi = _ort_session(helper.make_graph(
        [helper.make_node("MatMulInteger", ["A", "B", "a_zp"], ["Y"])],
        "peak_matmulinteger", [helper.make_tensor_value_info("A", TensorProto.UINT8, [n, n])],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, [n, n])],
        [_tensor("B", b_s8), _tensor("a_zp", np.uint8(128))]), threads)
    qcv = _ort_session(helper.make_graph(
        [helper.make_node("QLinearConv", ["X", "a_scale", "a_zp", "W", "w_scale", "w_zp", "y_scale", "y_zp"], ["Y"],
                          kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
        "peak_qconv", [helper.make_tensor_value_info("X", TensorProto.UINT8, [b, c, h, w])],
        [helper.make_tensor_value_info("Y", TensorProto.UINT8, [b, c, h, w])],
        quant + [_tensor("W", k_s8), _tensor("w_scale", np.full(c, 0.01, np.float32)),
                 _tensor("w_zp", np.zeros(c, np.int8))]), threads)
    mm_macs, conv_macs = float(n) ** 3, float(b * c * c * 9 * h * w)
    return {
        "onnxruntime QLinearMatMul": (lambda: qmm.run(None, {"A": a_u8}), mm_macs),
        "onnxruntime MatMulInteger": (lambda: mmi.run(None, {"A": a_u8}), mm_macs),
        "onnxruntime QLinearConv 3x3": (lambda: qcv.run(None, {"X": x_u8}), conv_macs),
    }


def measure_peaks(threads: int, quick: bool = False) -> dict:
    """This machine's peak GMAC/s, fp32 and int8, measured in the same run as the models.

    fp32: the best of large matmuls and a large 3x3 convolution in PyTorch and in ONNX
    Runtime (ONNX Runtime's convolution kernels beat a PyTorch matmul on some CPUs, and a
    peak must bound the models). int8: the best of ONNX Runtime's QLinearMatMul,
    MatMulInteger and QLinearConv (uint8 x int8); it is the peak of the onnx-int8 rows.
    Returns ``{"fp32": {"gmacs_per_s", "source", "measured": {name: GMAC/s}}, "int8": {...}}``.
    """
    # (matmul n, conv batch x channels x h x w): two sizes, since the fastest one depends on the caches
    shapes = [(512, (1, 64, 32, 32))] if quick else [(1024, (1, 128, 56, 56)), (2048, (1, 256, 32, 32))]
    seconds = 0.1 if quick else 0.4
    peaks = {}
    for kind, make in (("fp32", _fp32_candidates), ("int8", _int8_candidates)):
        measured: dict[str, float] = {}
        for n, conv in shapes:
            for name, (fn, macs) in make(threads, n, conv).items():
                size = f"{n}x{n}" if "atmul" in name.lower() else "x".join(map(str, conv))
                measured[f"{name} {size}"] = round(_best_rate(fn, macs, seconds), 2)
        source = max(measured, key=measured.get)
        peaks[kind] = {"gmacs_per_s": measured[source], "source": source, "measured": measured}
    return peaks


def apply_peaks(results: list[PoseBench], peaks: dict, log=print) -> None:
    """Fill each row's fraction of peak and roofline PPS: onnx-int8 rows against the int8 peak,
    the others against fp32. A row that reaches more than its measured peak (a kernel the
    peak measurement does not have) raises that peak to the figure reached, and says so."""
    for kind in ("fp32", "int8"):
        rows = [r for r in results if (r.backend == "onnx-int8") == (kind == "int8")]
        peak = peaks[kind]
        top = max(rows, key=lambda r: r.gmacs_per_s, default=None)
        if top is not None and top.gmacs_per_s > peak["gmacs_per_s"]:
            log(f"{kind} peak raised from {peak['gmacs_per_s']:.1f} to {top.gmacs_per_s:.1f} GMAC/s, the figure "
                f"{top.model}/{top.backend} batch {top.batch} reached (more than the peak measurement)")
            peak.update(measured_gmacs_per_s=peak["gmacs_per_s"], gmacs_per_s=top.gmacs_per_s,
                        source=f"{top.model}/{top.backend} batch {top.batch} (above the measured peak)")
        for r in rows:
            r.peak_fraction = round(min(r.gmacs_per_s / peak["gmacs_per_s"], 1.0), 4)
            r.roofline_pps = round(peak["gmacs_per_s"] / r.gmacs, 1)


def bench_pose(estimator, batch: int, persons: int, repeats: int, warmup: int = 2) -> tuple[list[float], float]:
    """PPS of the network stage of ``estimator`` (a ``TopDownEstimator``; flip test as it is set) at ``batch``
    over ``persons`` persons in ``repeats`` parts."""
    h, w = estimator.spec.input_hw
    x = np.random.default_rng(0).standard_normal((batch, 3, h, w)).astype(np.float32)
    run = estimator.heatmaps
    for _ in range(warmup):
        run(x)
    per_repeat = max(batch, int(np.ceil(persons / repeats / batch)) * batch)
    pps, batch_s = [], []
    for _ in range(repeats):
        done, t0 = 0, time.perf_counter()
        while done < per_repeat:
            tb = time.perf_counter()
            run(x)
            batch_s.append(time.perf_counter() - tb)
            done += batch
        pps.append(done / (time.perf_counter() - t0))
    return pps, float(np.median(batch_s) * 1e3)


def app_inputs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 640x480 BGR frame and 16 person-shaped boxes (80-440 px tall) in it: what ``bench_app`` crops.
    Random pixels: the time of a crop, a network and a decode does not depend on them."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    boxes = []
    for _ in range(16):
        h = rng.uniform(80, 440)
        w = h * rng.uniform(0.3, 0.7)
        x1, y1 = rng.uniform(0, 640 - w), rng.uniform(0, 480 - h)
        boxes.append([x1, y1, x1 + w, y1 + h])
    return image, np.asarray(boxes, np.float32)


def bench_app(predict_one, persons: int, repeats: int, warmup: int = 3) -> list[float]:
    """PPS of ``predict_one(image, box)`` (one person a call) over ``persons`` persons in ``repeats`` parts."""
    image, boxes = app_inputs()
    for i in range(warmup):
        predict_one(image, boxes[i % len(boxes)])
    per_repeat = max(1, int(np.ceil(persons / repeats)))
    pps = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i in range(per_repeat):
            predict_one(image, boxes[i % len(boxes)])
        pps.append(per_repeat / (time.perf_counter() - t0))
    return pps


def _app_row(model: str, backend: str, hw, flip: bool, decoder: str, pps: list[float], persons: int) -> AppBench:
    return AppBench(model, backend, tuple(int(v) for v in hw), bool(flip), decoder, round(statistics.median(pps), 2),
                    round(min(pps), 2), round(max(pps), 2), persons)


def bench_video(pipeline, video: str, det_every: int, max_frames: int | None) -> VideoBench:
    """End-to-end FPS over a video (every frame, drawing included)."""
    from .io import open_source

    src = open_source(video, live=False)
    pipeline.config.det_every = det_every
    pipeline.reset()
    stages: dict[str, list[float]] = {}
    frames = persons = 0
    t0 = time.perf_counter()
    try:
        while max_frames is None or frames < max_frames:
            tr = time.perf_counter()
            frame = src.read()
            if frame is None:
                break
            read_ms = (time.perf_counter() - tr) * 1e3
            res = pipeline.process(frame.image, frame.index, frame.time_s)
            pipeline.render(frame.image, res)
            for k, v in {"read": read_ms, **res.timings_ms}.items():
                stages.setdefault(k, []).append(v)
            frames += 1
            persons += len(res.persons)
    finally:
        src.close()
    wall = time.perf_counter() - t0
    if frames == 0:
        raise PoseappError(f"no frame could be read from {video}")
    return VideoBench(pipeline.runner.name, pipeline.runner.backend, det_every, frames, persons, frames / wall,
                      {k: round(float(np.mean(v)), 3) for k, v in stages.items()}, tuple(pipeline.runner.input_hw))


def run_bench(models: list[str], backends: list[str], batches: list[int], persons: int, repeats: int,
              threads: int, video: str | None, detector: str | None, video_frames: int | None,
              quick: bool = False, log=print, input_hw: tuple[int, int] | None = (256, 192),
              allow_untrained: bool = False, teachers: list[str] | None = None,
              shared_data: str | os.PathLike = "../shared/data") -> dict:
    """``input_hw``: crop size of the pose stage (default the papers' 256x192; None = each checkpoint's own,
    which adds the "app" rows: ``bench_app`` of each network x backend and of each of ``teachers``).

    ``allow_untrained``: measure networks without trained weights on random ones (else ``WeightsError``).
    """
    import torch

    from .estimator import TopDownEstimator
    from .nets import count_macs, get_spec
    from .runtime import create_runner
    from .runtime.model import load_model

    peaks = measure_peaks(threads, quick=quick)
    for kind, p in peaks.items():
        log(f"peak {kind} ({threads} threads): {p['gmacs_per_s']:.1f} GMAC/s, {p['source']} (best of: "
            + ", ".join(f"{k} {v:.1f}" for k, v in p["measured"].items()) + ")")
    results: list[PoseBench] = []
    app: list[AppBench] = []
    app_persons = max(persons // 2, 4)
    for model in models:
        get_spec(model)
        loaded = load_model(model, allow_untrained=allow_untrained)
        hw = tuple(input_hw or loaded.input_hw)
        gmacs = count_macs(loaded.module, hw) / 1e9
        for backend in backends:
            runner = create_runner(model, backend, threads=threads, input_hw=hw, allow_untrained=allow_untrained)
            estimator = TopDownEstimator(runner, flip_test=False)  # the papers' PPS: one pass per person
            for b in batches:
                pps, ms = bench_pose(estimator, b, persons, repeats, warmup=1 if quick else 3)
                med = statistics.median(pps)
                r = PoseBench(model, backend, b, round(gmacs, 4), round(med, 2), round(min(pps), 2), round(max(pps), 2),
                              round(ms, 2), persons, round(med * gmacs, 2), input_hw=hw)  # fraction: apply_peaks
                results.append(r)
                log(f"{model:<18}{backend:<10}{hw[0]}x{hw[1]:<4}batch {b:<3} {med:8.1f} PPS [{min(pps):.1f}-{max(pps):.1f}] "
                    f"{ms:8.1f} ms/batch {r.gmacs_per_s:7.1f} GMAC/s")
            if input_hw is None:  # as the app runs it: the checkpoint's own flip test and decoder, one person a call
                shipped = TopDownEstimator(runner)
                pps = bench_app(lambda img, box: shipped.estimate(img, box[None]), app_persons, repeats,
                                warmup=1 if quick else 3)
                a = _app_row(model, backend, hw, shipped.flip_test, shipped.decoder, pps, app_persons)
                app.append(a)
                log(f"{model:<18}{backend:<10}{hw[0]}x{hw[1]:<4}app, 1 person a call (crop, flip {'on' if a.flip_test else 'off'}, "
                    f"{a.decoder}): {a.pps_median:8.1f} PPS [{a.pps_min:.1f}-{a.pps_max:.1f}]")
    if input_hw is None:
        from .training.teacher import load_teacher

        for name in teachers or []:
            teacher = load_teacher(name, shared_data, threads=threads)
            pps = bench_app(lambda img, box: teacher.predict(img, box), app_persons, repeats, warmup=1 if quick else 3)
            size = teacher.input_size
            a = _app_row(f"movenet-{teacher.name}", Path(teacher.path).suffix.lstrip("."), (size, size),
                         False, "regression", pps, app_persons)
            app.append(a)
            log(f"{a.model:<18}{a.backend:<10}{size}x{size:<4}app, 1 person a call (square crop): "
                f"{a.pps_median:8.1f} PPS [{a.pps_min:.1f}-{a.pps_max:.1f}]")
    apply_peaks(results, peaks, log)
    videos: list[VideoBench] = []
    if video:
        from .pipeline import Pipeline, PipelineConfig

        # the fastest measured model and backend at batch 8 (or the largest batch measured)
        best = max(results, key=lambda r: r.pps_median)
        pipe = Pipeline(PipelineConfig(model=best.model, backend=best.backend, detector=detector, threads=threads,
                                       allow_untrained=allow_untrained))
        for k in (1, 3):
            v = bench_video(pipe, video, k, video_frames)
            videos.append(v)
            log(f"video {Path(video).name}: {v.model}/{v.backend} {v.input_hw[0]}x{v.input_hw[1]} det-every {k}: {v.fps:.1f} FPS over {v.frames} frames; "
                + ", ".join(f"{s} {ms:.1f}" for s, ms in v.stage_ms.items()) + " ms")
    return {
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "threads": threads,
                    "torch": torch.__version__, "onnxruntime": _ort_version()},
        "peak_gmacs_per_s": peaks["fp32"]["gmacs_per_s"],  # the torch and onnx rows' peak
        "peak_int8_gmacs_per_s": peaks["int8"]["gmacs_per_s"],  # the onnx-int8 rows' peak
        "peaks": peaks,
        "persons_per_config": persons,
        "repeats": repeats,
        "pose": [asdict(r) for r in results],
        "app": [asdict(a) for a in app],
        "video": [asdict(v) for v in videos],
    }


def record_speed(report: dict, log=print) -> list[str]:
    """Write each shipped network's "app" persons per second, per backend measured, into the manifest
    (``speed``: what ``--backend auto`` chooses by, ``runtime.manifest.auto_backend``), tied to the
    checkpoint's sha256 so a later ``poseapp publish`` makes it stale. Returns the networks written."""
    import datetime as _dt

    from .runtime.manifest import default_weights, models_dir
    from .training.publish import read_manifest_file, write_json_atomic

    measured: dict[str, dict[str, float]] = {}
    sizes: dict[str, list[int]] = {}
    for a in report.get("app", []):
        if not a["model"].startswith("movenet-"):
            measured.setdefault(a["model"], {})[a["backend"]] = a["pps_median"]
            sizes[a["model"]] = list(a["input_hw"])
    teachers = {a["model"]: a["pps_median"] for a in report.get("app", []) if a["model"].startswith("movenet-")}
    path = models_dir() / "manifest.json"
    manifest = read_manifest_file(path)
    written = []
    for entry in manifest["models"]:
        name = entry.get("name")
        if name not in measured or default_weights(name) is None or list(entry.get("input_hw", [])) != sizes[name]:
            continue
        entry["speed"] = {
            "pps": measured[name], "sha256": entry.get("sha256"), "input_hw": sizes[name], "teachers": teachers,
            "threads": report["machine"]["threads"], "cpu": report["machine"]["cpu"], "date": _dt.date.today().isoformat(),
            "how": "poseapp bench --input native: one person a call, crop, the checkpoint's flip test and decoder",
        }
        written.append(name)
    if written:
        write_json_atomic(path, manifest)
        log(f"recorded the persons per second of {', '.join(written)} in {path}")
    return written


def _ort_version() -> str:
    import onnxruntime

    return onnxruntime.__version__


def print_table(report: dict) -> None:
    peaks = report.get("peaks", {})
    desc = {k: f" ({peaks[k]['source']})" if k in peaks else "" for k in ("fp32", "int8")}
    print(f"\npeak fp32 {report['peak_gmacs_per_s']:.1f} GMAC/s{desc['fp32']}, int8 {report['peak_int8_gmacs_per_s']:.1f} GMAC/s"
          f"{desc['int8']}; 'peak' = achieved GMAC/s over the peak of the row's kind (int8 for onnx-int8), "
          "roofline = peak / GMACs; PPS = persons per second of the pose network")
    head = f"{'model':<18}{'backend':<10}{'input':>8}{'batch':>6}{'GMACs':>7}{'PPS':>8}{'min':>8}{'max':>8}{'ms/batch':>9}{'GMAC/s':>8}{'peak':>7}{'roofline':>9}"
    print(head)
    print("-" * len(head))
    for r in report["pose"]:
        print(f"{r['model']:<18}{r['backend']:<10}{'x'.join(map(str, r['input_hw'])):>8}{r['batch']:>6}{r['gmacs']:>7.3f}{r['pps_median']:>8.1f}{r['pps_min']:>8.1f}"
              f"{r['pps_max']:>8.1f}{r['ms_per_batch']:>9.1f}{r['gmacs_per_s']:>8.1f}{r['peak_fraction']:>7.1%}{r['roofline_pps']:>9.0f}")
    if report.get("app"):
        print("\napp: one person a call as the app runs it (crop, network with the checkpoint's flip test, decode); "
              "MoveNet: square crop, network, map-back")
        for a in report["app"]:
            print(f"{a['model']:<18}{a['backend']:<10}{'x'.join(map(str, a['input_hw'])):>8}  flip {'on ' if a['flip_test'] else 'off'} "
                  f"{a['decoder']:<11}{a['pps_median']:>8.1f} PPS [{a['pps_min']:.1f}-{a['pps_max']:.1f}]")
    for v in report["video"]:
        stages = " ".join(f"{k}={ms:.1f}" for k, ms in v["stage_ms"].items())
        print(f"video det-every {v['det_every']}: {v['model']}/{v['backend']} {'x'.join(map(str, v['input_hw']))} {v['fps']:.1f} FPS over {v['frames']} frames "
              f"({v['persons']} persons); ms: {stages}")


def plot_report(report: dict, out: str | os.PathLike) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    rows = report["pose"]
    # one colour per model, one line style and marker per backend (tab10 runs out at 10 model x backend pairs)
    models = sorted({r["model"] for r in rows})
    colour = {m: plt.get_cmap("tab10")(i % 10) for i, m in enumerate(models)}
    styles = {"torch": ("--", "s"), "onnx": ("-", "o"), "onnx-int8": (":", "^")}
    for key in sorted({(r["model"], r["backend"]) for r in rows}):
        pts = sorted((r["batch"], r["pps_median"]) for r in rows if (r["model"], r["backend"]) == key)
        line, mark = styles.get(key[1], ("-.", "D"))
        ax1.plot([p[0] for p in pts], [p[1] for p in pts], marker=mark, linestyle=line, color=colour[key[0]],
                 label=f"{key[0]} ({key[1]})")
    ax1.set_xlabel("batch (persons per call)")
    ax1.set_ylabel("PPS")
    ax1.set_title("Pose stage: persons per second vs batch")
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=7)
    best: dict[tuple[str, str], dict] = {}
    for r in rows:
        k = (r["model"], r["backend"])
        if k not in best or r["pps_median"] > best[k]["pps_median"]:
            best[k] = r
    for (model, backend), r in sorted(best.items()):
        ax2.scatter(r["gmacs"], r["pps_median"], marker=styles.get(backend, ("", "D"))[1], s=40, color=colour[model])
        ax2.annotate(f"{model} ({backend})", (r["gmacs"], r["pps_median"]), fontsize=7, xytext=(4, 3), textcoords="offset points")
    g = np.linspace(min(r["gmacs"] for r in rows) * 0.8, max(r["gmacs"] for r in rows) * 1.2, 50)
    ax2.plot(g, report["peak_gmacs_per_s"] / g, color="grey", linestyle=":", label="roofline fp32 (peak / GMACs)")
    if any(r["backend"] == "onnx-int8" for r in rows):
        ax2.plot(g, report["peak_int8_gmacs_per_s"] / g, color="grey", linestyle="-.", label="roofline int8 (peak / GMACs)")
    sizes = sorted({"x".join(map(str, r["input_hw"])) for r in rows})
    ax2.set_xlabel(f"GMACs per person ({', '.join(sizes)})")
    ax2.set_ylabel("best PPS")
    ax2.set_yscale("log")
    ax2.set_title("PPS vs model cost")
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def input_hw_arg(text: str) -> tuple[int, int] | None:
    """``--input HxW`` (or 'native': None), checked."""
    if text == "native":
        return None
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise PoseappError(f"--input {text!r}: give HxW (e.g. 256x192) or 'native'") from None
    if h < 32 or w < 32 or h % 32 or w % 16:
        raise PoseappError(f"--input {text}: height must be a multiple of 32 and width of 16 (e.g. 256x192, 128x96)")
    return h, w


def _csv(text: str, cast=str) -> list:
    try:
        return [cast(v.strip()) for v in text.split(",") if v.strip()]
    except ValueError:
        raise PoseappError(f"cannot read the list {text!r}: give comma-separated values, e.g. 1,8") from None


def cmd_bench(args) -> int:
    from .defaults import BACKENDS
    from .nets import list_models
    from .runtime.manifest import default_weights, untrained_error

    main4 = ["sfm", "danet72", "lpn50", "litehrnet18-cbam"]
    models = _csv(args.models) if args.models else (["litehrnet18-cbam"] if args.quick else main4)
    unknown = [m for m in models if m not in list_models()]
    if unknown:
        raise PoseappError(f"unknown model {unknown[0]!r}; choose from: {', '.join(list_models())}")
    untrained = [m for m in models if default_weights(m) is None]
    if untrained and not args.allow_untrained:
        raise untrained_error(untrained[0])  # before seconds of measuring the machine's peak
    backends = _csv(args.backends)
    bad = [b for b in backends if b not in BACKENDS]
    if bad:
        raise PoseappError(f"unknown backend {bad[0]!r}; choose from: {', '.join(BACKENDS)}")
    batches = _csv(args.batch, int) if args.batch else ([1, 2] if args.quick else [1, 8])
    if any(b < 1 for b in batches):
        raise PoseappError("--batch sizes must be 1 or more")
    persons = args.persons or (8 if args.quick else 1000)
    repeats = args.repeats or (2 if args.quick else 5)
    threads = args.threads or (os.cpu_count() or 1)
    if args.video and not Path(args.video).is_file():
        raise PoseappError(f"video {args.video} not found: pass an existing file with --video")
    teachers = _csv(args.teachers) if args.teachers else []
    bad = [t for t in teachers if t not in ("thunder", "lightning")]
    if bad:
        raise PoseappError(f"unknown teacher {bad[0]!r}; choose from: thunder, lightning")
    input_hw = input_hw_arg(args.input)
    if args.record and input_hw is not None:
        raise PoseappError("--record writes the speed the app runs at, measured at the shipped sizes: add --input native")
    if teachers and input_hw is not None:
        raise PoseappError("--teachers are measured as the app runs them, at the networks' shipped sizes: add --input native")
    from .training.teacher import teacher_path

    missing = [t for t in teachers if not teacher_path(t, args.shared_data).is_file()]
    if missing:
        raise PoseappError(f"teacher {missing[0]} not found at {teacher_path(missing[0], args.shared_data)}: "
                           "pass the folder holding teachers/ with --shared-data")
    report = run_bench(models, backends, batches, persons, repeats, threads, args.video, args.detector,
                       args.frames or (10 if args.quick else None), quick=args.quick, log=lambda s: print(s, flush=True),
                       input_hw=input_hw, allow_untrained=args.allow_untrained, teachers=teachers,
                       shared_data=args.shared_data)
    print_table(report)
    if args.record:
        record_speed(report, log=lambda s: print(s, flush=True))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")
    if args.plot:
        print(f"wrote {plot_report(report, args.plot)}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("bench", help="measure PPS per model x backend x batch and end-to-end FPS on a video")
    p.add_argument("--models", default=None, help="comma-separated models (default: sfm,danet72,lpn50,litehrnet18-cbam)")
    p.add_argument("--backends", default="torch,onnx", help="comma-separated backends (default torch,onnx)")
    p.add_argument("--batch", default=None, help="comma-separated batch sizes (default 1,8)")
    p.add_argument("--persons", type=int, default=None, help="persons per configuration after warm-up (default 1000)")
    p.add_argument("--repeats", type=int, default=None, help="repeats per configuration for median and spread (default 5)")
    p.add_argument("--input", default="256x192", metavar="HxW|native",
                   help="pose crop size (default 256x192, the papers' protocol; 'native': each checkpoint's own size)")
    p.add_argument("--video", default=None, help="also measure end-to-end FPS on this video (detect every 1 and 3)")
    p.add_argument("--detector", default=None, help="detector for --video (path or ultralytics name)")
    p.add_argument("--frames", type=int, default=None, help="at most this many video frames (default: all)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for both backends (default: all cores)")
    p.add_argument("--teachers", default=None, metavar="thunder,lightning",
                   help="with --input native: also the MoveNet teachers, one person a call (square crop included)")
    p.add_argument("--shared-data", default="../shared/data", metavar="DIR", help="where the teachers are (teachers/)")
    p.add_argument("--json", default=None, metavar="OUT.json", help="write every figure as JSON")
    p.add_argument("--record", action="store_true",
                   help="with --input native: write each shipped network's persons per second into the models' "
                        "manifest, which --backend auto (the default) chooses by")
    p.add_argument("--plot", default=None, metavar="OUT.png", help="plot PPS vs batch and PPS vs GMACs")
    p.add_argument("--quick", action="store_true", help="a few seconds: one small model, tiny counts (for tests)")
    from .cli import add_allow_untrained

    add_allow_untrained(p)
    p.set_defaults(func=cmd_bench)
