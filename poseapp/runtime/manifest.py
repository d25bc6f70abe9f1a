"""Shipped checkpoints without PyTorch: where ``models/`` is, its manifest, file hashes.

``poseapp --help`` and ``poseapp models`` read these, so nothing here imports
torch (``poseapp.runtime.weights`` re-exports them beside the loaders).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..errors import WeightsError


def models_dir() -> Path:
    """The folder with shipped checkpoints (``$POSEAPP_MODELS_DIR`` or the repo's ``models/``)."""
    env = os.environ.get("POSEAPP_MODELS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "models"


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
