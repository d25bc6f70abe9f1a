"""The command line: help, models table/JSON, export."""
import json
import subprocess
import sys

import numpy as np

from poseapp.cli import main
from poseapp.runtime import OnnxRunner, load_model, read_metadata


def test_help_lists_subcommands() -> None:
    r = subprocess.run([sys.executable, "-m", "poseapp", "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for cmd in ("models", "export", "annotate"):
        assert cmd in r.stdout


def test_models_json(capsys) -> None:
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    names = {r["name"] for r in rows}
    assert {"sfm", "danet72", "lpn50", "litehrnet18-cbam"} <= names
    for r in rows:
        assert {"name", "params_m", "gmacs", "paper_params_m", "paper_gmacs", "weights"} <= r.keys()
        assert r["params_m"] > 0.5 and r["gmacs"] > 0.1
        assert abs(r["params_diff"]) <= r["tolerance"] and abs(r["gmacs_diff"]) <= r["tolerance"]


def test_models_table(capsys) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["model", "params", "M"]
    assert any(line.startswith("danet72 ") for line in out)


def test_export_writes_dynamic_batch_with_metadata(tmp_path, capsys) -> None:
    out = tmp_path / "sfm.onnx"
    assert main(["export", "--model", "sfm", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    meta = read_metadata(out)
    h, w = load_model("sfm").input_hw  # the shipped checkpoint's input size (the paper's 256x192 when untrained)
    assert meta["model"] == "sfm" and (meta["input_h"], meta["input_w"]) == (str(h), str(w))
    assert meta["num_keypoints"] == "17"
    r = OnnxRunner(out)
    assert r(np.zeros((3, 3, h, w), np.float32)).shape == (3, 17, h // 4, w // 4)
    assert [p.name for p in tmp_path.iterdir()] == ["sfm.onnx"]
