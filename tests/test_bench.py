"""`poseapp bench --quick`: valid JSON and plot (no test asserts a speed)."""
import json

import cv2

from poseapp.cli import main


def test_bench_quick_json_and_plot(shared_data, yolox_path, tmp_path, capsys) -> None:
    out, png = tmp_path / "bench.json", tmp_path / "bench.png"
    rc = main(["bench", "--quick", "--video", str(shared_data / "media" / "dancer_545frames.mp4"), "--detector",
               str(yolox_path), "--frames", "4", "--json", str(out), "--plot", str(png)])
    assert rc == 0
    report = json.loads(out.read_text())
    assert report["peak_gmacs_per_s"] > 0
    pose = report["pose"]
    assert {(r["backend"], r["batch"]) for r in pose} == {("torch", 1), ("torch", 2), ("onnx", 1), ("onnx", 2)}
    for r in pose:
        assert r["pps_min"] <= r["pps_median"] <= r["pps_max"] and r["pps_median"] > 0
        assert r["gmacs"] > 0.1 and 0 < r["peak_fraction"] and r["ms_per_batch"] > 0
        assert r["roofline_pps"] > 0
    assert [v["det_every"] for v in report["video"]] == [1, 3]
    for v in report["video"]:
        assert v["frames"] == 4 and v["fps"] > 0
        assert {"read", "detect", "crop", "pose", "decode", "smooth", "draw"} <= v["stage_ms"].keys()
    img = cv2.imread(str(png))
    assert img is not None and img.shape[1] > 600
    assert "PPS" in capsys.readouterr().out


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
