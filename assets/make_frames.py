"""Annotated frames of the demo media with the shipped weights: assets/frames/*.jpg.

    python assets/make_frames.py [--model NAME] [--shared ../shared/data] [--sheet]

Runs ``poseapp annotate`` (YOLOX-Nano detector from ../shared/data) on bus.jpg,
zidane.jpg, the street clip and the dancer clip, and saves one JPEG per input
(the middle frame of each video, quality 90, small enough to commit) to look
at the skeletons. ``--sheet`` saves the four as one 2x2 JPEG instead,
``<model>_sheet.jpg`` (one per network).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from poseapp.cli import main

HERE = Path(__file__).resolve().parent


def middle_frame(video: Path) -> "cv2.typing.MatLike":
    cap = cv2.VideoCapture(str(video))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.set(cv2.CAP_PROP_POS_FRAMES, max(0, n // 2))
    ok, frame = cap.read()
    cap.release()
    if not ok:
        raise SystemExit(f"cannot read a frame of {video}")
    return frame


def run(model: str | None, shared: Path, out: Path) -> list[Path]:
    media = shared / "media"
    inputs = [media / "bus.jpg", media / "zidane.jpg", media / "street_11people_5frames.mp4",
              media / "dancer_545frames.mp4"]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        args = ["annotate", *map(str, inputs), "-o", tmp, "--detector", str(shared / "detectors" / "yolox_nano.onnx"), "-q"]
        if model:
            args += ["--model", model]
        if main(args) != 0:
            raise SystemExit("poseapp annotate failed")
        for src in inputs:
            produced = sorted(p for p in Path(tmp).iterdir() if p.stem.startswith(src.stem) and p.suffix in (".jpg", ".png", ".mp4"))
            if not produced:
                raise SystemExit(f"annotate wrote nothing for {src.name}")
            target = out / f"{src.stem}.jpg"
            image = middle_frame(produced[0]) if produced[0].suffix == ".mp4" else cv2.imread(str(produced[0]))
            cv2.imwrite(str(target), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            written.append(target)
    return written


def sheet(frames: list[Path], target: Path, cell_hw: tuple[int, int] = (405, 540)) -> Path:
    """The frames letterboxed into a 2x2 grid (one JPEG per network, small enough to commit)."""
    h, w = cell_hw
    cells = []
    for f in frames:
        img = cv2.imread(str(f))
        s = min(h / img.shape[0], w / img.shape[1])
        small = cv2.resize(img, (round(img.shape[1] * s), round(img.shape[0] * s)), interpolation=cv2.INTER_AREA)
        cell = np.zeros((h, w, 3), np.uint8)
        y, x = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
        cell[y:y + small.shape[0], x:x + small.shape[1]] = small
        cells.append(cell)
    grid = np.vstack([np.hstack(cells[:2]), np.hstack(cells[2:4])])
    cv2.imwrite(str(target), grid, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return target


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="pose network (default: the app's default)")
    ap.add_argument("--shared", default=str(HERE.parents[1] / "shared" / "data"), help="the shared data folder")
    ap.add_argument("--out", default=str(HERE / "frames"), help="output folder")
    ap.add_argument("--sheet", action="store_true", help="one 2x2 JPEG <model>_sheet.jpg instead of four frames")
    a = ap.parse_args()
    if a.sheet:
        from poseapp.pipeline import default_model

        model = a.model or default_model()
        with tempfile.TemporaryDirectory() as tmp:
            print(f"wrote {sheet(run(model, Path(a.shared), Path(tmp)), Path(a.out) / f'{model}_sheet.jpg')}")
    else:
        for p in run(a.model, Path(a.shared), Path(a.out)):
            print(f"wrote {p}")
    sys.exit(0)
