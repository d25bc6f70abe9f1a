"""MPII PCKh (Andriluka et al., CVPR 2014): a joint is correct when its error is
within ``threshold`` x the person's head size.

Figures as the official evaluation / HRNet ``lib/dataset/mpii.py: evaluate``:
per joint over labelled joints; the grouped table (Head = head top, Shoulder,
Elbow, Wrist, Hip, Knee, Ankle = mean of left and right); Mean = all labelled
joints except pelvis and thorax (each joint weighted by its count). In percent.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..layouts import MPII16

GROUPS: dict[str, tuple[int, ...]] = {
    "Head": (9,), "Shoulder": (12, 13), "Elbow": (11, 14), "Wrist": (10, 15),
    "Hip": (2, 3), "Knee": (1, 4), "Ankle": (0, 5),
}
EXCLUDED = (6, 7)  # pelvis, thorax: not in the benchmark's mean


@dataclass
class PCKhResult:
    thresholds: tuple[float, ...]
    per_joint: dict[float, np.ndarray]  # threshold -> K percentages
    counts: np.ndarray  # K labelled joints counted

    def group(self, threshold: float) -> dict[str, float]:
        pj = self.per_joint[threshold]
        out = {g: float(np.mean(pj[list(j)])) for g, j in GROUPS.items()}
        out["Mean"] = self.mean(threshold)
        return out

    def mean(self, threshold: float) -> float:
        keep = np.ones(len(self.counts), bool)
        keep[list(EXCLUDED)] = False
        c = self.counts * keep
        return float((self.per_joint[threshold] * c).sum() / max(c.sum(), 1))

    def to_dict(self) -> dict:
        names = MPII16.names
        out: dict = {}
        for t in self.thresholds:
            out[f"PCKh@{t:g}"] = {
                "mean": self.mean(t),
                "groups": self.group(t),
                "per_joint": {names[j]: float(v) for j, v in enumerate(self.per_joint[t])},
            }
        out["joint_counts"] = {names[j]: int(c) for j, c in enumerate(self.counts)}
        return out

    def table(self) -> str:
        cols = list(GROUPS) + ["Mean"]
        lines = [f"{'PCKh':<10}" + "".join(f"{c:>9}" for c in cols)]
        for t in self.thresholds:
            g = self.group(t)
            lines.append(f"{'@' + format(t, 'g'):<10}" + "".join(f"{g[c]:>9.2f}" for c in cols))
        return "\n".join(lines) + "\n"


def pckh(
    pred: np.ndarray, gt: np.ndarray, visible: np.ndarray, head_size: np.ndarray,
    thresholds: tuple[float, ...] = (0.5, 0.1),
) -> PCKhResult:
    """PCKh of ``N x K x 2`` predictions; persons without a head size are skipped."""
    head = np.asarray(head_size, np.float64)
    vis = (np.asarray(visible) > 0) & np.isfinite(head)[:, None] & (head > 0)[:, None]
    err = np.linalg.norm(np.asarray(pred, np.float64) - np.asarray(gt, np.float64), axis=-1)
    scaled = err / np.where(head > 0, head, 1.0)[:, None]
    counts = vis.sum(0)
    per = {t: 100.0 * ((scaled <= t) & vis).sum(0) / np.maximum(counts, 1) for t in thresholds}
    return PCKhResult(tuple(thresholds), per, counts)
