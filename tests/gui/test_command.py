"""``poseapp gui`` scripted from the command line, as tests and docs use it."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from guitest import MODEL_A, MODEL_B

TIMEOUT_S = 600


def _gui(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "poseapp", "gui", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=TIMEOUT_S)


def _regions(png: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(whole window, the video area in the middle, the figures column on the right)."""
    img = cv2.imread(str(png))
    h, w = img.shape[:2]
    return img, img[int(0.25 * h) : int(0.7 * h), int(0.3 * w) : int(0.6 * w)], img[int(0.08 * h) : int(0.5 * h), int(0.76 * w) :]


def test_snapshot_of_a_street_video(shared_data: Path, yolox_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "window.png"
    r = _gui("--source", str(shared_data / "media" / "street_11people_5frames.mp4"), "--detector", str(yolox_path),
             "--model", MODEL_A, "--backend", "onnx", "--exit-after", "3", "--snapshot", str(out),
             "--settings", str(tmp_path / "s.ini"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"saved {out} (1600x900)" in r.stdout and "3 frames" in r.stdout
    fps = float(re.search(r"pipeline ([0-9.]+) FPS", r.stdout).group(1))
    persons = int(re.search(r"(\d+) persons", r.stdout).group(1))
    assert fps > 0 and persons >= 5, r.stdout
    img, video, figures = _regions(out)
    assert img.shape == (900, 1600, 3)
    # the video area holds the street frame (varied colours), not the empty dark background
    assert video.std() > 30 and video.mean() > 40
    # the figures column has text on it (dark digits on a light panel, the dark plot)
    assert figures.std() > 30 and (figures < 80).mean() > 0.01
    assert not (tmp_path / "s.ini").exists() or "source=" not in (tmp_path / "s.ini").read_text()  # scripted runs save nothing


def test_snapshot_in_compare_mode(shared_data: Path, yolox_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "compare.png"
    r = _gui("--source", str(shared_data / "media" / "zidane.jpg"), "--detector", str(yolox_path),
             "--model", MODEL_A, "--backend", "onnx", "--compare", MODEL_B, "--exit-after", "2",
             "--snapshot", str(out), "--settings", str(tmp_path / "s.ini"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"A {MODEL_A}/onnx" in r.stdout and f"B {MODEL_B}/onnx" in r.stdout
    oks = float(re.search(r"mean OKS A vs B ([0-9.]+)", r.stdout).group(1))
    img, video, _ = _regions(out)
    assert video.std() > 30
    # the reference: the same network on the other backend agrees at ~1.0 on the same photo; two
    # different networks are clearly below it (a B pane that ran model A, or a figure stuck at 1, is not)
    same = _gui("--source", str(shared_data / "media" / "zidane.jpg"), "--detector", str(yolox_path),
                "--model", MODEL_A, "--backend", "onnx", "--compare", "torch", "--exit-after", "2",
                "--snapshot", str(tmp_path / "same.png"), "--settings", str(tmp_path / "s.ini"), cwd=tmp_path)
    assert same.returncode == 0, same.stderr[-2000:]
    assert f"B {MODEL_A}/torch" in same.stdout
    oks_same = float(re.search(r"mean OKS A vs B ([0-9.]+)", same.stdout).group(1))
    assert oks_same > 0.99 and oks < 0.95, (oks_same, oks)


@pytest.mark.parametrize("args, message", [
    (["--source", "missing.mp4", "--model", MODEL_A], "not found"),
    (["--source", "x.mp4", "--model", "nonet"], "unknown model"),
    (["--model", MODEL_A], "need --source"),
    (["--source", "x.mp4", "--model", MODEL_A, "--backend", "onnx", "--compare", "onnx"], "already in use"),
])
def test_scripted_errors_exit_2_with_one_line(args: list[str], message: str, tmp_path: Path, yolox_path: Path) -> None:
    r = _gui(*args, "--detector", str(yolox_path), "--exit-after", "1", "--snapshot", str(tmp_path / "err.png"),
             "--settings", str(tmp_path / "s.ini"), cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr[-2000:])
    assert message in r.stderr and "Traceback" not in r.stderr


def test_no_display_is_a_one_line_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    r = subprocess.run([sys.executable, "-m", "poseapp", "gui", "--settings", str(tmp_path / "s.ini")],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=TIMEOUT_S)
    assert r.returncode == 2 and "no display" in r.stderr and "Traceback" not in r.stderr
