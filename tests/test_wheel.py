"""Issue 14: a non-editable install (a wheel) carries the shipped weights and finds them without a checkout.

The test builds an sdist from a copy of the repository and a wheel from that
sdist (as ``python -m build`` does), installs the wheel into a fresh virtual
environment in a temporary folder (``--no-deps``: the heavy dependencies come
from this test's environment through a plain path entry, so neither the
checkout nor its editable finder is importable there), and runs its
``poseapp`` from a temporary folder with a clean environment: ``poseapp
models`` must show the shipped weights and ``poseapp annotate`` must give the
checkout's keypoints on the same photo.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from poseapp.cli import main
from poseapp.runtime.manifest import read_manifest
from poseapp.runtime.shipping import PACKAGED_DIR, shipped_files

REPO = Path(__file__).resolve().parents[1]
SKIP = (".git", ".venv", "runs", "build", "dist", "out", "poseapp_out", ".pytest_cache", ".cache")
MAX_WHEEL_MB = 60  # the code is < 1 MB; the rest is models/ (32 MB unpacked, ~27 MB compressed)


def _copy_source(dst: Path) -> None:
    """What a clean checkout holds: git's tracked and unignored files (a plain copy without git)."""
    listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=REPO,
                            capture_output=True) if (REPO / ".git").exists() and shutil.which("git") else None
    if listed is not None and listed.returncode == 0:
        for rel in filter(None, listed.stdout.decode().split("\0")):
            src = REPO / rel
            if src.is_file() and rel.split("/")[0] not in SKIP:
                (dst / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst / rel)
    else:
        shutil.copytree(REPO, dst, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(*SKIP, "*.egg-info", "__pycache__"))


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} -> {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory) -> dict:
    """``{"wheel": Path, "python": Path, "poseapp": Path, "env": dict, "cwd": Path}`` of a fresh install."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    _copy_source(src)
    # sdist, then the wheel from the sdist: both MANIFEST.in and setup.py's build step must carry models/
    _run([sys.executable, "setup.py", "-q", "sdist", "-d", str(base / "sdist")], cwd=src)
    sdist = next((base / "sdist").glob("poseapp-*.tar.gz"))
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", str(base / "dist"), str(sdist)], cwd=base)
    wheel = next((base / "dist").glob("poseapp-*.whl"))

    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
          str(wheel)], cwd=base)
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # this environment's dependencies (torch, ONNX Runtime, OpenCV, ...), after the new site-packages; a plain
    # path line runs none of the .pth files there, so the checkout's editable finder stays out
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_deps.pth").write_text("".join(f"{p}\n" for p in sorted(deps)))

    cwd = base / "run"
    cwd.mkdir()
    env = {"PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin", "HOME": str(base / "home"),
           "POSEAPP_CACHE": str(base / "cache"), "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "2"}
    return {"wheel": wheel, "python": python, "poseapp": venv / "bin" / "poseapp", "env": env, "cwd": cwd,
            "site": site}


def test_wheel_carries_the_shipped_files_and_is_not_too_big(wheel_env) -> None:
    wheel = wheel_env["wheel"]
    with zipfile.ZipFile(wheel) as z:
        packaged = {Path(n).name: z.getinfo(n).file_size for n in z.namelist()
                    if n.startswith(f"poseapp/{PACKAGED_DIR}/")}
    expected = {p.name: p.stat().st_size for p in shipped_files(REPO / "models")}
    assert expected and packaged == expected
    assert {"manifest.json", "sfm.pt", "sfm.int8.onnx", "sfm.md"} <= set(packaged)
    size_mb = wheel.stat().st_size / 1e6
    assert size_mb < MAX_WHEEL_MB, f"wheel is {size_mb:.1f} MB"
    sdist = next(wheel.parent.parent.glob("sdist/poseapp-*.tar.gz"))
    with tarfile.open(sdist) as t:
        assert {f"models/{n}" for n in expected} <= {n.split("/", 1)[1] for n in t.getnames() if "/" in n}


def test_installed_package_is_not_the_checkout(wheel_env) -> None:
    probe = ("import json, poseapp, poseapp.runtime.manifest as m; "
             "print(json.dumps({'file': poseapp.__file__, 'models': str(m.models_dir()), 'problems': m.verify_models()}))")
    r = _run([str(wheel_env["python"]), "-c", probe], cwd=wheel_env["cwd"], env=wheel_env["env"])
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert Path(got["file"]).is_relative_to(wheel_env["site"]), got
    assert Path(got["models"]) == wheel_env["site"] / "poseapp" / PACKAGED_DIR
    assert got["problems"] == []  # every file the manifest lists, with its size and sha256


def test_wheel_models_shows_shipped_weights(wheel_env) -> None:
    shipped = set(read_manifest())
    r = _run([str(wheel_env["poseapp"]), "models", "--json"], cwd=wheel_env["cwd"], env=wheel_env["env"])
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert shipped and {name for name, row in rows.items() if row["weights"]} == shipped
    table = _run([str(wheel_env["poseapp"]), "models"], cwd=wheel_env["cwd"], env=wheel_env["env"]).stdout
    has_weights = {line.split()[0] for line in table.splitlines() if line.split()[7:8] == ["yes"]}
    assert has_weights == shipped, table


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_wheel_annotate_matches_checkout(wheel_env, shared_data, yolox_path, tmp_path, backend) -> None:
    """The wheel's shipped sfm (its .pt through ONNX export, and its int8 file) gives the checkout's keypoints."""
    image = shared_data / "media" / "bus.jpg"
    args = ["annotate", str(image), "--backend", backend, "--detector", str(yolox_path), "--no-video", "-q"]
    _run([str(wheel_env["poseapp"]), *args, "-o", str(tmp_path / "wheel")], cwd=wheel_env["cwd"], env=wheel_env["env"])
    assert main([*args, "-o", str(tmp_path / "checkout")]) == 0

    def persons(folder: Path) -> tuple[dict, list]:
        doc = json.loads((folder / "bus.keypoints.json").read_text())
        return doc, doc["frames"][0]["persons"]

    wdoc, wheel_people = persons(tmp_path / "wheel")
    cdoc, checkout_people = persons(tmp_path / "checkout")
    assert wdoc["model"] == cdoc["model"] and len(wheel_people) == len(checkout_people) >= 3
    for w, c in zip(wheel_people, checkout_people):
        wk, ck = np.asarray(w["keypoints"]).reshape(-1, 3), np.asarray(c["keypoints"]).reshape(-1, 3)
        assert np.abs(wk[:, :2] - ck[:, :2]).max() <= 0.5
