"""Shipped checkpoints without PyTorch: where ``models/`` is, its manifest, file hashes.

An editable install reads the checkout's ``models/``; a wheel or the desktop
bundle reads the copy it carries in ``poseapp/_models/`` (``models_dirs``).
A shipped file is checked against the manifest's sha256 when it is loaded
(``verified_sha256``), where its hash is computed anyway.

``poseapp --help`` and ``poseapp models`` read these, so nothing here imports
torch (``poseapp.runtime.weights`` re-exports them beside the loaders).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..errors import WeightsError
from .shipping import PACKAGED_DIR


PACKAGE = Path(__file__).resolve().parents[1]  # the installed or checked-out ``poseapp`` folder
CHECKOUT = PACKAGE.parent  # the repository root when poseapp runs from a checkout (editable install)


def models_dirs() -> list[tuple[str, Path]]:
    """Where shipped checkpoints are looked for, in order: ``(where, folder)``.

    ``$POSEAPP_MODELS_DIR`` when set (then only it), else the checkout's
    ``models/`` (the source of truth, which ``poseapp publish`` writes) and the
    copy a wheel or the desktop bundle carries as ``poseapp/_models/``
    (``poseapp.runtime.shipping``).
    """
    env = os.environ.get("POSEAPP_MODELS_DIR")
    if env:
        return [("POSEAPP_MODELS_DIR", Path(env))]
    found = []
    if (CHECKOUT / "pyproject.toml").is_file():  # a checkout, not site-packages or a bundle
        found.append(("checkout", CHECKOUT / "models"))
    found.append(("packaged", PACKAGE / PACKAGED_DIR))
    return found


def models_dir() -> Path:
    """The folder with shipped checkpoints: the first of ``models_dirs()`` that holds a manifest
    (none does: the first, where publishing would write)."""
    candidates = models_dirs()
    for _, path in candidates:
        if (path / "manifest.json").is_file():
            return path
    return candidates[0][1]


def read_manifest() -> dict:
    path = models_dir() / "manifest.json"
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as f:
        return {entry["name"]: entry for entry in json.load(f)["models"]}


# the validation sets a manifest entry may report, the one a figure is quoted from first
AP_SETS = (("coco17_val", "coco17 val"), ("coco_mini_val", "coco-mini val"))


def shipped_ap(entry: dict) -> tuple[float, str] | None:
    """``(AP, set label)`` of a manifest entry: coco17 val where measured, else coco-mini val (older entries)."""
    metrics = entry.get("metrics", {})
    for key, label in AP_SETS:
        if metrics.get(f"{key}_ap") is not None:
            return float(metrics[f"{key}_ap"]), label
    return None


def default_weights(name: str) -> Path | None:
    """The shipped checkpoint of model ``name``, if present on disk."""
    entry = read_manifest().get(name)
    if entry is None:
        return None
    path = models_dir() / entry["file"]
    return path if path.is_file() else None


def trained_models() -> list[str]:
    """The networks whose shipped checkpoint is on disk, in manifest order."""
    return [name for name in read_manifest() if default_weights(name) is not None]


def untrained_error(name: str) -> WeightsError:
    """The one-line error for network ``name`` when no checkpoint is shipped for it and none was passed."""
    trained = trained_models()
    pick = f"pick a trained model ({', '.join(trained)})" if trained else f"ship one in {models_dir()}"
    return WeightsError(
        f"no trained weights for {name}: pass --weights FILE, {pick}, or add --allow-untrained "
        "to run it with random weights (its keypoints are noise)"
    )


def sha256_of(path: str | os.PathLike, length: int | None = None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:length] if length else h.hexdigest()


def _shipped_hashes() -> dict[Path, str]:
    """``{path: sha256}`` of every file the manifest lists (checkpoints and int8 models)."""
    folder = models_dir()
    out = {}
    for entry in read_manifest().values():
        for record in (entry, entry.get("int8") or {}):
            if record.get("file") and record.get("sha256"):
                out[(folder / record["file"]).resolve()] = record["sha256"]
    return out


def verified_sha256(path: str | os.PathLike) -> str:
    """The sha256 of ``path``; a file the manifest lists must have the manifest's hash, or it is a
    one-line ``WeightsError`` (a damaged install or a half-copied ``models/``)."""
    digest = sha256_of(path)
    expected = _shipped_hashes().get(Path(path).resolve())
    if expected is not None and digest != expected:
        raise WeightsError(
            f"shipped file {path} does not match {models_dir() / 'manifest.json'} (sha256 {digest[:12]}, "
            f"manifest {expected[:12]}): reinstall poseapp, or in a checkout re-run poseapp publish"
        )
    return digest


def verify_models(folder: str | os.PathLike | None = None) -> list[str]:
    """Every problem of a models folder (default ``models_dir()``): files the manifest lists that are
    missing, of another size or another sha256. Empty when all is well."""
    folder = Path(folder) if folder is not None else models_dir()
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return [f"no manifest in {folder}"]
    with open(manifest, encoding="utf-8") as f:
        entries = json.load(f)["models"]
    problems = []
    for entry in entries:
        for record in (entry, entry.get("int8") or {}):
            if not record.get("file"):
                continue
            path = folder / record["file"]
            if not path.is_file():
                problems.append(f"{path}: missing")
            elif record.get("bytes") is not None and path.stat().st_size != record["bytes"]:
                problems.append(f"{path}: {path.stat().st_size} bytes, manifest {record['bytes']}")
            elif record.get("sha256") and sha256_of(path) != record["sha256"]:
                problems.append(f"{path}: sha256 differs from the manifest")
    return problems


# ---------------------------------------------------------------- --backend auto
INT8_AP_TOLERANCE = 0.01  # auto runs the int8 model only if it loses at most this much coco17 val AP


def speed_record(entry: dict) -> dict[str, float]:
    """``{backend: persons per second}`` measured for the checkpoint the entry ships now
    (``poseapp bench --input native --record``); empty when none is recorded or it was measured on
    another checkpoint (a later ``poseapp publish`` replaced it)."""
    speed = entry.get("speed") or {}
    if not speed.get("sha256") or speed.get("sha256") != entry.get("sha256"):
        return {}
    return {k: float(v) for k, v in (speed.get("pps") or {}).items()}


def auto_backend(model: str, weights: str | os.PathLike | None = None,
                 input_hw: tuple[int, int] | None = None) -> str:
    """The backend ``--backend auto`` runs ``model`` on: ``onnx-int8`` where the shipped int8 model
    is of the shipped checkpoint, was measured faster than ``onnx`` on this kind of machine (the
    manifest's speed record) and loses at most ``INT8_AP_TOLERANCE`` coco17 val AP; ``onnx`` otherwise,
    and always for weights of one's own (``weights``) or another crop size (``input_hw``)."""
    if weights is not None:
        return "onnx"
    try:
        entry = read_manifest().get(model)
    except (OSError, ValueError, KeyError, TypeError):
        return "onnx"
    int8 = (entry or {}).get("int8") or {}
    if not entry or not int8.get("file") or int8.get("weights_sha256") != entry.get("sha256"):
        return "onnx"
    if input_hw is not None and list(input_hw) != list(entry.get("input_hw", [])):
        return "onnx"
    if default_weights(model) is None or not (models_dir() / int8["file"]).is_file():
        return "onnx"
    pps = speed_record(entry)
    ap, ap8 = entry.get("metrics", {}).get("coco17_val_ap"), (int8.get("metrics") or {}).get("coco17_val_ap")
    if ap is None or ap8 is None or not pps.get("onnx") or not pps.get("onnx-int8"):
        return "onnx"
    return "onnx-int8" if pps["onnx-int8"] > pps["onnx"] and ap8 >= ap - INT8_AP_TOLERANCE else "onnx"


def resolve_backend(model: str, backend: str, weights: str | os.PathLike | None = None,
                    input_hw: tuple[int, int] | None = None) -> str:
    """``backend`` itself, or for ``auto`` the one ``auto_backend`` picks."""
    return auto_backend(model, weights, input_hw) if backend == "auto" else backend
