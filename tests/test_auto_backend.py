"""``--backend auto`` (the default): the shipped int8 model where ``poseapp bench --input native --record``
measured it faster than ONNX Runtime fp32 and it loses at most 0.01 coco17 val AP, else ``onnx``."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from poseapp.cli import main
from poseapp.defaults import BACKEND_CHOICES, BACKENDS, DEFAULT_BACKEND
from poseapp.runtime import manifest
from poseapp.runtime.manifest import auto_backend, resolve_backend

REPO = Path(__file__).resolve().parents[1]


def _models(folder: Path, pps: dict | None, ap: float = 0.30, ap8: float = 0.295, speed_sha: str | None = None) -> dict:
    """A models folder with one network (``sfm``, tiny stand-in files) and its int8 file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sfm.pt").write_bytes(b"weights")
    (folder / "sfm.int8.onnx").write_bytes(b"int8 model")
    sha = manifest.sha256_of(folder / "sfm.pt")
    entry = {"name": "sfm", "file": "sfm.pt", "sha256": sha, "input_hw": [128, 96],
             "metrics": {"coco17_val_ap": ap},
             "int8": {"file": "sfm.int8.onnx", "weights_sha256": sha, "metrics": {"coco17_val_ap": ap8}}}
    if pps is not None:
        entry["speed"] = {"pps": pps, "sha256": speed_sha or sha}
    (folder / "manifest.json").write_text(json.dumps({"models": [entry]}))
    return entry


def test_auto_is_the_default_and_a_choice_everywhere() -> None:
    assert DEFAULT_BACKEND == "auto" and BACKEND_CHOICES == ("auto", *BACKENDS)
    assert resolve_backend("sfm", "torch") == "torch" and resolve_backend("sfm", "onnx-int8") == "onnx-int8"


def test_auto_picks_int8_only_where_measured_faster_and_as_accurate(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("POSEAPP_MODELS_DIR", str(tmp_path))
    assert auto_backend("sfm") == "onnx"  # nothing shipped
    _models(tmp_path, {"onnx": 90.0, "onnx-int8": 150.0})
    assert auto_backend("sfm") == "onnx-int8" == resolve_backend("sfm", "auto")
    assert auto_backend("sfm", weights=tmp_path / "mine.pt") == "onnx"  # one's own weights have no int8 model
    assert auto_backend("sfm", input_hw=(256, 192)) == "onnx"  # the int8 model is of the shipped size
    assert auto_backend("lpn50") == "onnx"  # not shipped in this folder
    _models(tmp_path, {"onnx": 90.0, "onnx-int8": 60.0})
    assert auto_backend("sfm") == "onnx"  # int8 measured slower (litehrnet18-cbam here)
    _models(tmp_path, {"onnx": 90.0, "onnx-int8": 150.0}, ap=0.30, ap8=0.285)
    assert auto_backend("sfm") == "onnx"  # int8 loses more than 0.01 AP
    _models(tmp_path, {"onnx": 90.0, "onnx-int8": 150.0}, speed_sha="0" * 64)
    assert auto_backend("sfm") == "onnx"  # speed measured on a checkpoint published before this one
    _models(tmp_path, None)
    assert auto_backend("sfm") == "onnx"  # never measured
    _models(tmp_path, {"onnx": 90.0, "onnx-int8": 150.0})
    (tmp_path / "sfm.int8.onnx").unlink()
    assert auto_backend("sfm") == "onnx"  # the int8 file is missing


def test_bench_record_writes_what_auto_reads(tmp_path: Path, monkeypatch, capsys) -> None:
    """The real command on the shipped lpn50 (a copy): --record stores both backends' persons per second
    for that checkpoint, and auto then runs the faster (int8 only within 0.01 AP)."""
    folder = tmp_path / "models"
    folder.mkdir()
    for f in ("manifest.json", "lpn50.pt", "lpn50.int8.onnx"):
        shutil.copy(REPO / "models" / f, folder / f)
    monkeypatch.setenv("POSEAPP_MODELS_DIR", str(folder))
    assert main(["bench", "--quick", "--input", "native", "--models", "lpn50", "--backends", "onnx,onnx-int8",
                 "--batch", "1", "--threads", "2", "--record"]) == 0
    assert "recorded the persons per second of lpn50" in capsys.readouterr().out
    entry = manifest.read_manifest()["lpn50"]
    pps = manifest.speed_record(entry)
    assert set(pps) == {"onnx", "onnx-int8"} and min(pps.values()) > 0
    assert entry["speed"]["input_hw"] == entry["input_hw"]
    from poseapp.cpuinfo import cpu_name

    assert entry["speed"]["cpu"] == cpu_name() != ""  # the figures hold for this kind of CPU
    within = entry["int8"]["metrics"]["coco17_val_ap"] >= entry["metrics"]["coco17_val_ap"] - manifest.INT8_AP_TOLERANCE
    assert auto_backend("lpn50") == ("onnx-int8" if within and pps["onnx-int8"] > pps["onnx"] else "onnx")


def test_record_needs_native_sizes(capsys) -> None:
    assert main(["bench", "--quick", "--record"]) == 2
    assert "add --input native" in capsys.readouterr().err


def test_pipeline_on_auto_runs_the_int8_model_and_says_so(tmp_path: Path, monkeypatch, shared_data: Path) -> None:
    """The default config on a shipped network recorded faster in int8 runs the shipped int8 file, names it
    in describe() (the JSON header of annotate), and still finds the person in a real image."""
    import cv2

    from poseapp.runtime import create_runner

    folder = tmp_path / "models"
    folder.mkdir()
    for f in ("manifest.json", "lpn50.pt", "lpn50.int8.onnx"):
        shutil.copy(REPO / "models" / f, folder / f)
    data = json.loads((folder / "manifest.json").read_text())
    lpn = next(e for e in data["models"] if e["name"] == "lpn50")
    lpn["speed"] = {"pps": {"onnx": 50.0, "onnx-int8": 75.0}, "sha256": lpn["sha256"]}
    # within the tolerance whatever the shipped int8 file measured (0.313 against 0.328 fp32: auto keeps onnx)
    lpn["int8"]["metrics"]["coco17_val_ap"] = lpn["metrics"]["coco17_val_ap"] - 0.005
    (folder / "manifest.json").write_text(json.dumps(data))
    monkeypatch.setenv("POSEAPP_MODELS_DIR", str(folder))
    runner = create_runner("lpn50", "auto", threads=2)
    assert runner.backend == "onnx-int8"
    assert create_runner("lpn50", "auto", weights=folder / "lpn50.pt", threads=2).backend == "onnx"
    from poseapp.estimator import TopDownEstimator

    ann = json.loads((shared_data / "coco17/annotations/person_keypoints_val.json").read_text())
    person = max((a for a in ann["annotations"] if a["num_keypoints"] >= 15), key=lambda a: a["area"])
    image = next(i for i in ann["images"] if i["id"] == person["image_id"])
    img = cv2.imread(str(shared_data / "coco17/images" / image["file_name"]))
    x, y, w, h = person["bbox"]
    kpts = TopDownEstimator(runner).estimate(img, np.array([[x, y, x + w, y + h]], np.float32)).keypoints[0]
    gt = np.array(person["keypoints"], np.float32).reshape(17, 3)
    seen = gt[:, 2] > 0
    err = np.linalg.norm(kpts[seen] - gt[seen, :2], axis=1)
    assert np.median(err) < 0.1 * max(w, h)  # the joints land on the person


@pytest.mark.parametrize("backend", ["auto", "onnx"])
def test_compare_against_the_backend_auto_runs_is_refused(backend: str, tmp_path: Path, monkeypatch) -> None:
    from poseapp.errors import PoseappError
    from poseapp.gui.app import resolve_compare

    monkeypatch.setenv("POSEAPP_MODELS_DIR", str(tmp_path))  # nothing recorded: auto runs onnx
    with pytest.raises(PoseappError, match="already in use"):
        resolve_compare(backend, "sfm", "onnx" if backend == "auto" else "auto", None)
    assert resolve_compare("onnx-int8", "sfm", "auto", None) == ("sfm", "onnx-int8")
