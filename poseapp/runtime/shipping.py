"""Which files of the repository's ``models/`` an install carries, and where it keeps them.

``models/`` in the checkout is the one source of the shipped checkpoints
(``poseapp publish`` writes there). A wheel and the desktop bundle carry a copy
as ``poseapp/_models/``: ``setup.py``'s build step and
``packaging/poseapp-gui.spec`` both take the list of files from
``shipped_files`` and put them in ``PACKAGED_DIR``, and
``poseapp.runtime.manifest.models_dir`` looks there when no checkout is around.

Standard library only and no relative imports: ``setup.py`` and the PyInstaller
spec load this file by its path, before poseapp is importable.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

# the copy's folder inside the installed ``poseapp`` package
PACKAGED_DIR = "_models"
# what ships: the manifest, fp16 checkpoints, their int8 ONNX models and the model cards
PATTERNS = ("manifest.json", "*.pt", "*.int8.onnx", "*.md")


class ShippingError(RuntimeError):
    pass


def shipped_files(src: str | Path) -> list[Path]:
    """The files of ``src`` (a ``models/`` folder) that an install carries, sorted.

    Every file the manifest names (checkpoint and int8 model) must be there: a
    build that would ship a manifest pointing at a missing file fails instead.
    An absent ``src`` or one without a manifest ships nothing.
    """
    src = Path(src)
    manifest = src / "manifest.json"
    if not manifest.is_file():
        return []
    files = sorted({p for pattern in PATTERNS for p in src.glob(pattern) if p.is_file()})
    names = {p.name for p in files}
    with open(manifest, encoding="utf-8") as f:
        entries = json.load(f).get("models", [])
    listed = [e["file"] for e in entries] + [e["int8"]["file"] for e in entries if e.get("int8")]
    missing = [name for name in listed if name not in names]
    if missing:
        raise ShippingError(f"{manifest} lists files that are not in {src}: {', '.join(missing)}")
    return files


def copy_shipped(src: str | Path, dst: str | Path) -> list[Path]:
    """Copy ``shipped_files(src)`` into ``dst`` (created; files of an earlier copy that no longer ship are
    removed); returns the copied paths."""
    dst = Path(dst)
    files = shipped_files(src)
    if dst.is_dir():
        shutil.rmtree(dst)
    if not files:
        return []
    dst.mkdir(parents=True)
    out = []
    for path in files:
        target = dst / path.name
        shutil.copy2(path, target)
        out.append(target)
    return out
