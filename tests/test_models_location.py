"""Issue 14: where the shipped checkpoints are found (env, checkout, installed copy) and their check
against the manifest. The wheel itself is built and run in test_wheel.py."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from poseapp.errors import WeightsError
from poseapp.runtime import manifest
from poseapp.runtime.shipping import PACKAGED_DIR, ShippingError, copy_shipped, shipped_files

REPO = Path(__file__).resolve().parents[1]


def _tiny_models(folder: Path, name: str = "sfm") -> Path:
    """A models folder whose manifest lists one small checkpoint and its int8 file (not real ones)."""
    folder.mkdir(parents=True)
    (folder / f"{name}.pt").write_bytes(b"weights")
    (folder / f"{name}.int8.onnx").write_bytes(b"int8 model")
    (folder / f"{name}.md").write_text("card")
    entry = {"name": name, "file": f"{name}.pt", "sha256": manifest.sha256_of(folder / f"{name}.pt"), "bytes": 7,
             "int8": {"file": f"{name}.int8.onnx", "sha256": manifest.sha256_of(folder / f"{name}.int8.onnx"),
                      "bytes": 10}}
    (folder / "manifest.json").write_text(json.dumps({"models": [entry]}))
    return folder


def test_checkout_models_by_default(monkeypatch) -> None:
    monkeypatch.delenv("POSEAPP_MODELS_DIR", raising=False)
    assert [w for w, _ in manifest.models_dirs()] == ["checkout", "packaged"]
    assert manifest.models_dir() == REPO / "models"


def test_env_var_wins_even_when_empty(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("POSEAPP_MODELS_DIR", str(tmp_path))
    assert manifest.models_dirs() == [("POSEAPP_MODELS_DIR", tmp_path)]
    assert manifest.models_dir() == tmp_path and manifest.read_manifest() == {}


def test_installed_copy_without_a_checkout(monkeypatch, tmp_path) -> None:
    """In site-packages (or a bundle) there is no pyproject.toml beside the package: poseapp/_models is used."""
    package = tmp_path / "site-packages" / "poseapp"
    _tiny_models(package / PACKAGED_DIR)
    monkeypatch.delenv("POSEAPP_MODELS_DIR", raising=False)
    monkeypatch.setattr(manifest, "PACKAGE", package)
    monkeypatch.setattr(manifest, "CHECKOUT", package.parent)
    assert [w for w, _ in manifest.models_dirs()] == ["packaged"]
    assert manifest.models_dir() == package / PACKAGED_DIR
    assert manifest.default_weights("sfm") == package / PACKAGED_DIR / "sfm.pt"
    # a checkout without models/ falls through to the installed copy too
    (package.parent / "pyproject.toml").write_text("")
    assert [w for w, _ in manifest.models_dirs()] == ["checkout", "packaged"]
    assert manifest.models_dir() == package / PACKAGED_DIR


def test_damaged_shipped_file_is_one_line_error(monkeypatch, tmp_path) -> None:
    folder = _tiny_models(tmp_path / "models")
    monkeypatch.setenv("POSEAPP_MODELS_DIR", str(folder))
    assert manifest.verify_models() == []
    assert manifest.verified_sha256(folder / "sfm.pt") == manifest.sha256_of(folder / "sfm.pt")
    (folder / "sfm.int8.onnx").write_bytes(b"int8 modeL")  # same size, other bytes
    (folder / "sfm.pt").write_bytes(b"weight")  # truncated
    problems = manifest.verify_models()
    assert len(problems) == 2 and "6 bytes, manifest 7" in problems[0] and "sha256 differs" in problems[1]
    with pytest.raises(WeightsError, match="does not match .*manifest.json.*reinstall poseapp"):
        manifest.verified_sha256(folder / "sfm.int8.onnx")
    other = tmp_path / "elsewhere.pt"  # a file the manifest does not list is not checked
    other.write_bytes(b"x")
    assert manifest.verified_sha256(other) == manifest.sha256_of(other)


@pytest.mark.parametrize("how", ["load_model", "locate_weights"])
def test_a_damaged_shipped_checkpoint_fails_before_torch_reads_it(monkeypatch, tmp_path, how) -> None:
    """``load_model`` (torch backend) and ``locate_weights`` (the ONNX backends, which do not build the
    module) both check the shipped file against the manifest."""
    from poseapp import runtime

    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("manifest.json", "sfm.pt"):
        shutil.copy2(REPO / "models" / name, folder / name)
    monkeypatch.setenv("POSEAPP_MODELS_DIR", str(folder))
    find = getattr(runtime, how)
    assert find("sfm").weights_id == manifest.read_manifest()["sfm"]["sha256"][:12]  # intact: found
    data = bytearray((folder / "sfm.pt").read_bytes())
    data[-100] ^= 1  # one flipped bit
    (folder / "sfm.pt").write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="does not match"):
        find("sfm")


def test_shipped_files_are_the_manifest_checkpoints_int8_and_cards(tmp_path) -> None:
    folder = _tiny_models(tmp_path / "models")
    (folder / ".sfm.pt.new").write_bytes(b"half-published")  # publish's temporary file
    (folder / "notes.txt").write_text("not shipped")
    assert [p.name for p in shipped_files(folder)] == ["manifest.json", "sfm.int8.onnx", "sfm.md", "sfm.pt"]
    copied = copy_shipped(folder, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in copied)
    (folder / "sfm.int8.onnx").unlink()
    with pytest.raises(ShippingError, match="sfm.int8.onnx"):
        shipped_files(folder)
    assert shipped_files(tmp_path / "absent") == []


def test_repo_models_ship_completely() -> None:
    names = {p.name for p in shipped_files(REPO / "models")}
    for entry in manifest.read_manifest().values():
        assert {entry["file"], entry["int8"]["file"], f"{entry['name']}.md"} <= names
    assert "manifest.json" in names
