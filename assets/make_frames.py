"""Annotated frames of the demo media with the shipped weights: assets/frames/*.png.

    python assets/make_frames.py [--model NAME] [--shared ../shared/data]

Runs ``poseapp annotate`` (YOLOX-Nano detector from ../shared/data) on bus.jpg,
zidane.jpg, the street clip and the dancer clip, and saves one PNG per input
(the middle frame of each video) to look at the skeletons.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2

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
            target = out / f"{src.stem}.png"
            image = middle_frame(produced[0]) if produced[0].suffix == ".mp4" else cv2.imread(str(produced[0]))
            cv2.imwrite(str(target), image)
            written.append(target)
    return written


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="pose network (default: the app's default)")
    ap.add_argument("--shared", default=str(HERE.parents[1] / "shared" / "data"), help="the shared data folder")
    ap.add_argument("--out", default=str(HERE / "frames"), help="output folder")
    a = ap.parse_args()
    for p in run(a.model, Path(a.shared), Path(a.out)):
        print(f"wrote {p}")
    sys.exit(0)
