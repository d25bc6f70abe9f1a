"""Checkpoint loading: good files load, bad files give one clear line."""
import subprocess
import sys

import pytest
import torch

from poseapp.errors import WeightsError
from poseapp.nets import create_model
from poseapp.runtime import load_model, load_weights, save_checkpoint


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp("w") / "lpn50.pt"
    torch.manual_seed(3)
    m = create_model("lpn50")
    save_checkpoint(m, path, "lpn50", half=True)
    return path, m


def test_roundtrip_fp16_checkpoint(ckpt) -> None:
    path, original = ckpt
    loaded = load_model("lpn50", path)
    for (k, a), b in zip(original.state_dict().items(), loaded.module.state_dict().values()):
        assert b.dtype == a.dtype
        assert torch.allclose(a.float(), b.float(), atol=1e-3, rtol=1e-3), k
    assert loaded.weights_id != "untrained"


def test_missing_file(tmp_path) -> None:
    with pytest.raises(WeightsError, match="not found"):
        load_weights(create_model("lpn50"), tmp_path / "nope.pt")


def test_truncated_file(ckpt, tmp_path) -> None:
    bad = tmp_path / "cut.pt"
    bad.write_bytes(ckpt[0].read_bytes()[:5000])
    with pytest.raises(WeightsError, match=r"cut\.pt is not a readable PyTorch checkpoint"):
        load_weights(create_model("lpn50"), bad)


def test_checkpoint_of_another_model(ckpt) -> None:
    with pytest.raises(WeightsError, match="is for model 'lpn50', not 'sfm'"):
        load_model("sfm", ckpt[0])


def test_mismatched_state_dict(tmp_path) -> None:
    path = tmp_path / "other.pt"
    torch.save({"state_dict": create_model("litehrnet18").state_dict()}, path)
    with pytest.raises(WeightsError, match="does not fit model lpn50"):
        load_model("lpn50", path)


def test_cli_reports_bad_weights_in_one_line(tmp_path) -> None:
    bad = tmp_path / "garbage.pt"
    bad.write_bytes(b"not a checkpoint at all")
    r = subprocess.run([sys.executable, "-m", "poseapp", "export", "--model", "lpn50", "--weights", str(bad),
                        "--out", str(tmp_path / "x.onnx")], capture_output=True, text=True)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "garbage.pt" in lines[0] and "Traceback" not in r.stderr
    assert not (tmp_path / "x.onnx").exists()


def test_checkpoint_input_size_is_used(tmp_path) -> None:
    path = save_checkpoint(create_model("litehrnet18"), tmp_path / "small.pt", "litehrnet18", input_hw=[128, 96])
    loaded = load_model("litehrnet18", path)
    assert loaded.input_hw == (128, 96)
    from poseapp.runtime import create_runner

    for backend in ("torch", "onnx"):
        r = create_runner("litehrnet18", backend, weights=path)
        assert r.input_hw == (128, 96)
        import numpy as np

        assert r(np.zeros((2, 3, 128, 96), np.float32)).shape == (2, 17, 32, 24)
