"""Which errors separate a network from MoveNet Thunder: gross misses or imprecise joints, and on whom.

    python docs/error_types.py [--model sfm] [--shared ../shared/data]

Both run on the ground-truth boxes of coco17 val (the network as ``poseapp eval`` runs it: its checkpoint's
crop and decoder, flip test; Thunder with its square crop). Each labelled joint gets its OKS term
``exp(-d^2 / (2 s^2 k^2))`` (COCO's per-joint similarity, s^2 = the person's area, k = the joint's sigma x 2).
Prints the share of joints that are gross misses (term < 0.1), imprecise (0.1-0.8) and good (>= 0.8), the
share of persons whose left/right-swapped prediction scores 0.1 better, and the mean OKS by person size and
by the number of labelled joints. The figures are in training/README.md.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from poseapp.training.datasets import SourceSpec, build_source
from poseapp.training.publish import COCO17_VAL
from poseapp.training.evaluation import build_runner
from poseapp.training.evaluation.predict import predict
from poseapp.training.layouts import COCO17
from poseapp.training.teacher import load_teacher, teacher_predictions

SIZES = {"small (< 32^2)": (0, 32**2), "medium": (32**2, 96**2), "large (>= 96^2)": (96**2, np.inf)}
COUNTS = {"1-4 labelled joints": (1, 5), "5-9": (5, 10), "10-17": (10, 18)}


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")  # a group with nobody in it (a small set)


def joint_oks(kps: np.ndarray, joints: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """N x K OKS terms of predicted ``kps`` against ``joints`` (both N x K x 2) for persons of ``areas``."""
    k2 = (2 * np.asarray(COCO17.sigmas, np.float64)) ** 2
    d2 = ((kps - joints) ** 2).sum(-1)
    return np.exp(-d2 / (2 * areas[:, None] * k2[None] + np.spacing(1)))


def error_types(model: str, ann: Path, images: Path, shared: Path, limit: int | None = None) -> dict[str, dict[str, float]]:
    """``{"ours" | "thunder": {figure: value}}``; figures are shares of joints or persons, or mean OKS."""
    source = build_source(SourceSpec("coco", ann, images, limit=limit))
    samples = [s for s in source.samples if s.visible.sum() > 0]
    area_of = {a["id"]: a["area"] for a in json.loads(Path(ann).read_text())["annotations"]}
    areas = np.array([area_of[s.ann_id] for s in samples], np.float64)
    joints = np.stack([s.joints for s in samples]).astype(np.float64)
    vis = np.stack([s.visible for s in samples]) > 0
    runner = build_runner(model, "torch", None, 17, 2)
    preds = {
        "ours": predict(runner, samples, source.layout, box_scale=runner.spec.box_scale, workers=1).keypoints,
        "thunder": teacher_predictions(load_teacher("thunder", shared), samples).keypoints,
    }
    swap = list(COCO17.flip_index())
    out: dict[str, dict[str, float]] = {}
    for name, kps in preds.items():
        terms = joint_oks(kps.astype(np.float64), joints, areas)
        person = (terms * vis).sum(1) / vis.sum(1)
        swapped = (joint_oks(kps[:, swap].astype(np.float64), joints, areas) * vis).sum(1) / vis.sum(1)
        t = terms[vis]
        fig = {"gross joints (< 0.1)": (t < 0.1).mean(), "imprecise joints (0.1-0.8)": ((t >= 0.1) & (t < 0.8)).mean(),
               "good joints (>= 0.8)": (t >= 0.8).mean(), "persons better swapped": (swapped > person + 0.1).mean(),
               "mean OKS": person.mean()}
        for label, (lo, hi) in SIZES.items():
            fig[f"mean OKS, {label}"] = _mean(person[(areas >= lo) & (areas < hi)])
        n = vis.sum(1)
        for label, (lo, hi) in COUNTS.items():
            fig[f"mean OKS, {label}"] = _mean(person[(n >= lo) & (n < hi)])
        out[name] = {k: float(v) for k, v in fig.items()}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="sfm")
    p.add_argument("--shared", type=Path, default=Path("../shared/data"))
    p.add_argument("--limit", type=int, default=None)
    a = p.parse_args()
    ann, images = (a.shared / part for part in COCO17_VAL)  # coco17 val
    figs = error_types(a.model, ann, images, a.shared, a.limit)
    print(f"| figure | {a.model} | Thunder |\n|---|---|---|")
    for key in figs["ours"]:
        print(f"| {key} | {figs['ours'][key]:.3f} | {figs['thunder'][key]:.3f} |")


if __name__ == "__main__":
    main()
