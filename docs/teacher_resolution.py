"""How much of MoveNet Thunder's lead comes from the pixels it sees: its AP with fewer input pixels.

    python docs/teacher_resolution.py [--sizes 256 145 100] [--shared ../shared/data]

Thunder's 256x256 square crop (box side x 1.25) is shrunk to ``size`` x ``size`` and enlarged back to
256x256 before it runs, so the network is the same and only the detail in its input changes. At 145 the
crop carries about as many pixels of the person as the 128x96 crop our networks get at box x 1.1
(128 / 1.1 = 116 pixels of box height, against 145 / 1.25 = 116). Prints one COCO AP line per size, scored
as ``poseapp eval --teacher thunder`` scores it (ground-truth boxes, pycocotools). The figures are in
training/README.md.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2

from poseapp.training.datasets import SourceSpec, build_source
from poseapp.training.publish import COCO17_VAL
from poseapp.training.evaluation import evaluate_predictions
from poseapp.training.teacher import load_teacher, teacher_predictions


def degraded_ap(sizes: list[int], ann: Path, images: Path, shared: Path, limit: int | None = None) -> dict[int, str]:
    """One ``EvalResult.line()`` per input detail ``size`` (256: Thunder as it is)."""
    source = build_source(SourceSpec("coco", ann, images, limit=limit))
    teacher = load_teacher("thunder", shared)
    run = teacher.run
    out = {}
    for size in sizes:
        def degraded(rgb, size=size):
            if size < teacher.input_size:
                small = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA)
                rgb = cv2.resize(small, (teacher.input_size, teacher.input_size), interpolation=cv2.INTER_LINEAR)
            return run(rgb)

        teacher.run = degraded
        out[size] = evaluate_predictions(source, teacher_predictions(teacher, source.samples)).line()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 145, 100])
    p.add_argument("--shared", type=Path, default=Path("../shared/data"))
    p.add_argument("--limit", type=int, default=None)
    a = p.parse_args()
    ann, images = (a.shared / part for part in COCO17_VAL)  # coco17 val
    for size, line in degraded_ap(a.sizes, ann, images, a.shared, a.limit).items():
        print(f"Thunder, input detail {size}x{size}: {line}")


if __name__ == "__main__":
    main()
