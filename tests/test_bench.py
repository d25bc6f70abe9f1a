"""`poseapp bench --quick`: valid JSON and plot, fractions of peak that stay <= 1 (no test asserts a speed)."""
import json

import cv2
import pytest

from poseapp.bench import PoseBench, apply_peaks
from poseapp.cli import main


def test_bench_quick_json_and_plot(shared_data, yolox_path, tmp_path, capsys) -> None:
    out, png = tmp_path / "bench.json", tmp_path / "bench.png"
    rc = main(["bench", "--quick", "--video", str(shared_data / "media" / "dancer_545frames.mp4"), "--detector",
               str(yolox_path), "--frames", "4", "--json", str(out), "--plot", str(png)])
    assert rc == 0
    report = json.loads(out.read_text())
    _check_peaks(report)
    pose = report["pose"]
    assert {(r["backend"], r["batch"]) for r in pose} == {("torch", 1), ("torch", 2), ("onnx", 1), ("onnx", 2)}
    for r in pose:
        assert r["pps_min"] <= r["pps_median"] <= r["pps_max"] and r["pps_median"] > 0
        assert r["gmacs"] > 0.1 and r["ms_per_batch"] > 0
    assert [v["det_every"] for v in report["video"]] == [1, 3]
    for v in report["video"]:
        assert v["frames"] == 4 and v["fps"] > 0
        assert {"read", "detect", "crop", "pose", "decode", "smooth", "draw"} <= v["stage_ms"].keys()
    img = cv2.imread(str(png))
    assert img is not None and img.shape[1] > 600
    stdout = capsys.readouterr().out
    assert "PPS" in stdout and "peak fp32" in stdout and "peak int8" in stdout


def _check_peaks(report: dict) -> None:
    """Both peaks reported; every row's fraction is of its own kind's peak and never above 1."""
    peaks = report["peaks"]
    assert report["peak_gmacs_per_s"] == peaks["fp32"]["gmacs_per_s"] > 0
    assert report["peak_int8_gmacs_per_s"] == peaks["int8"]["gmacs_per_s"] > 0
    assert {"torch matmul", "onnxruntime matmul", "onnxruntime conv3x3"} <= {k.rsplit(" ", 1)[0] for k in peaks["fp32"]["measured"]}
    assert any(k.startswith("onnxruntime QLinear") for k in peaks["int8"]["measured"])
    for kind in ("fp32", "int8"):  # the peak is the best measurement (or a model's figure above all of them)
        assert peaks[kind]["gmacs_per_s"] >= max(peaks[kind]["measured"].values())
    for r in report["pose"]:
        peak = report["peak_int8_gmacs_per_s"] if r["backend"] == "onnx-int8" else report["peak_gmacs_per_s"]
        assert 0 < r["peak_fraction"] <= 1.0
        assert r["peak_fraction"] == pytest.approx(r["gmacs_per_s"] / peak, abs=1e-3)
        assert r["gmacs_per_s"] <= peak
        assert r["roofline_pps"] == pytest.approx(peak / r["gmacs"], rel=1e-3, abs=0.1)


def test_bench_int8_rows_use_the_int8_peak(tmp_path) -> None:
    out = tmp_path / "int8.json"
    assert main(["bench", "--quick", "--models", "sfm", "--backends", "onnx,onnx-int8", "--batch", "2",
                 "--input", "native", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    _check_peaks(report)
    assert [r["backend"] for r in report["pose"]] == ["onnx", "onnx-int8"]


def test_apply_peaks_raises_a_peak_a_model_beats() -> None:
    """A row above its measured peak raises that peak to the row's figure (said in the log): never > 100%."""
    def row(backend, gmacs_per_s):
        return PoseBench("sfm", backend, 8, 1.0, gmacs_per_s, gmacs_per_s, gmacs_per_s, 1.0, 8, gmacs_per_s)

    rows = [row("onnx", 80.0), row("torch", 20.0), row("onnx-int8", 150.0)]
    peaks = {"fp32": {"gmacs_per_s": 50.0, "source": "torch matmul", "measured": {"torch matmul": 50.0}},
             "int8": {"gmacs_per_s": 300.0, "source": "x", "measured": {"x": 300.0}}}
    lines = []
    apply_peaks(rows, peaks, lines.append)
    assert [r.peak_fraction for r in rows] == [1.0, 0.25, 0.5]
    assert [r.roofline_pps for r in rows] == [80.0, 80.0, 300.0]
    assert peaks["fp32"]["gmacs_per_s"] == 80.0 and peaks["fp32"]["measured_gmacs_per_s"] == 50.0
    assert peaks["int8"]["gmacs_per_s"] == 300.0
    assert len(lines) == 1 and "fp32 peak raised from 50.0 to 80.0" in lines[0]


def test_bench_input_size(tmp_path) -> None:
    """--input sets the crop size: GMACs scale with the pixels; 'native' takes the checkpoint's size."""
    rows = {}
    for size in ("256x192", "128x96"):
        out = tmp_path / f"{size}.json"
        assert main(["bench", "--quick", "--backends", "onnx", "--batch", "1", "--input", size, "--json", str(out)]) == 0
        (rows[size],) = json.loads(out.read_text())["pose"]
    assert rows["256x192"]["input_hw"] == [256, 192] and rows["128x96"]["input_hw"] == [128, 96]
    assert 3.0 < rows["256x192"]["gmacs"] / rows["128x96"]["gmacs"] < 5.0


def test_bench_bad_options(capsys) -> None:
    assert main(["bench", "--quick", "--models", "nope"]) == 2
    assert main(["bench", "--quick", "--backends", "tensorrt"]) == 2
    assert main(["bench", "--quick", "--batch", "one"]) == 2
    assert main(["bench", "--quick", "--input", "100x75"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("poseapp: ") for line in err)


def test_bench_native_app_rows_and_teachers(shared_data, tmp_path) -> None:
    """--input native adds one-person-a-call rows as the app runs the checkpoint (its own flip test and decoder),
    and --teachers the MoveNet teachers under the same protocol."""
    from poseapp.estimator import TopDownEstimator
    from poseapp.runtime import create_runner

    out = tmp_path / "app.json"
    assert main(["bench", "--quick", "--models", "sfm", "--backends", "onnx", "--batch", "1", "--input", "native",
                 "--teachers", "thunder", "--shared-data", str(shared_data), "--json", str(out)]) == 0
    app = json.loads(out.read_text())["app"]
    assert [(a["model"], a["backend"]) for a in app] == [("sfm", "onnx"), ("movenet-thunder", "onnx")]
    shipped = TopDownEstimator(create_runner("sfm", "onnx"))
    ours, thunder = app
    assert ours["input_hw"] == list(shipped.spec.input_hw)
    assert (ours["flip_test"], ours["decoder"]) == (shipped.flip_test, shipped.decoder)
    assert thunder["input_hw"] == [256, 256] and thunder["flip_test"] is False
    for a in app:
        assert 0 < a["pps_min"] <= a["pps_median"] <= a["pps_max"] and a["persons"] >= 4


def test_bench_app_counts_every_person(monkeypatch) -> None:
    """bench_app calls the predictor once per person (after warm-up) with boxes inside the frame."""
    from poseapp.bench import bench_app

    seen = []

    def predict(image, box):
        h, w = image.shape[:2]
        assert 0 <= box[0] < box[2] <= w and 0 <= box[1] < box[3] <= h
        seen.append(box)

    pps = bench_app(predict, persons=10, repeats=2, warmup=3)
    assert len(pps) == 2 and len(seen) == 3 + 10


def test_bench_teachers_need_native_size(capsys, tmp_path) -> None:
    assert main(["bench", "--quick", "--teachers", "thunder"]) == 2
    assert main(["bench", "--quick", "--input", "native", "--teachers", "posenet"]) == 2
    assert main(["bench", "--quick", "--input", "native", "--teachers", "thunder", "--shared-data", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and "--input native" in err[0] and "posenet" in err[1] and "--shared-data" in err[2]
