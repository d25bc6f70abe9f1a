"""Shared fixtures: the real data in ../shared/data and an isolated cache."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("POSEAPP_SHARED_DATA", REPO.parent / "shared" / "data"))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip (with the reason) when it is absent."""
    if not (SHARED_DATA / "MANIFEST.md").is_file():
        pytest.skip(f"real test data not found at {SHARED_DATA} (the project's ../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def yolox_path(shared_data: Path) -> Path:
    return shared_data / "detectors" / "yolox_nano.onnx"


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory) -> None:
    """ONNX exports go to a per-session folder, never to the user's cache."""
    os.environ["POSEAPP_CACHE"] = str(tmp_path_factory.mktemp("poseapp-cache"))
