"""Issue 14: a network without trained weights is a one-line error with exit code 2, unless
``--allow-untrained`` (then it runs on random weights, with a one-line warning)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from poseapp.cli import main
from poseapp.errors import WeightsError
from poseapp.runtime import create_runner, load_model
from poseapp.runtime.manifest import default_weights

UNTRAINED = "danet88"  # registered, no checkpoint shipped for it


def test_the_example_network_ships_no_weights() -> None:
    assert default_weights(UNTRAINED) is None


def annotate(shared_data: Path, yolox_path: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "poseapp", "annotate", str(shared_data / "media" / "bus.jpg"),
                           "--model", UNTRAINED, "--detector", str(yolox_path), "-o", str(out), "-q", *extra],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("extra,needle", [
    ((), f"no trained weights for {UNTRAINED}"),
    (("--weights", "/nonexistent.pt"), "weights file /nonexistent.pt not found"),
    (("--weights", "/nonexistent.pt", "--allow-untrained"), "weights file /nonexistent.pt not found"),
], ids=["no-weights", "missing-file", "missing-file-allow-untrained"])
def test_annotate_refuses_in_one_line(shared_data, yolox_path, tmp_path, extra, needle) -> None:
    r = annotate(shared_data, yolox_path, tmp_path / "out", *extra)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("poseapp: ") and needle in lines[0], r.stderr
    assert "--weights" in lines[0]  # says what to do
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_annotate_allow_untrained_runs_with_a_warning(shared_data, yolox_path, tmp_path) -> None:
    r = annotate(shared_data, yolox_path, tmp_path / "out", "--allow-untrained")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("poseapp: warning:") and UNTRAINED in lines[0], r.stderr
    assert (tmp_path / "out" / "bus.keypoints.json").is_file()


def test_the_error_names_the_fixes() -> None:
    with pytest.raises(WeightsError) as exc:
        load_model(UNTRAINED)
    msg = str(exc.value)
    assert "\n" not in msg and "--weights" in msg and "--allow-untrained" in msg and "sfm" in msg


def test_library_refuses_unless_allowed() -> None:
    with pytest.raises(WeightsError, match=f"no trained weights for {UNTRAINED}"):
        create_runner(UNTRAINED, "torch")
    loaded = load_model(UNTRAINED, allow_untrained=True)
    assert loaded.weights is None and loaded.weights_id == "untrained"


def test_nothing_shipped_says_where(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("POSEAPP_MODELS_DIR", str(tmp_path))
    with pytest.raises(WeightsError, match=str(tmp_path)):
        load_model("sfm")


def test_other_commands_exit_2(tmp_path, capsys) -> None:
    cases = [
        ["export", "--model", UNTRAINED, "--out", str(tmp_path / "x.onnx")],
        ["bench", "--quick", "--models", UNTRAINED],
        ["quantize", "--model", UNTRAINED, "--ann", __file__, "--images", str(tmp_path)],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("poseapp: ") and f"no trained weights for {UNTRAINED}" in err and "\n" not in err, argv
    assert not (tmp_path / "x.onnx").exists()


def test_export_allow_untrained(tmp_path, capsys) -> None:
    assert main(["export", "--model", UNTRAINED, "--allow-untrained", "--out", str(tmp_path / "x.onnx")]) == 0
    assert "weights untrained" in capsys.readouterr().out


def test_eval_exit_2(shared_data, tmp_path, capsys) -> None:
    root = shared_data / "coco-mini"
    argv = ["eval", "--model", UNTRAINED, "--ann", str(root / "annotations/person_keypoints_val2017.json"),
            "--images", str(root / "val2017"), "--limit", "2", "-q", "--no-flip"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert f"no trained weights for {UNTRAINED}" in err and "\n" not in err
    assert main([*argv, "--allow-untrained"]) == 0
