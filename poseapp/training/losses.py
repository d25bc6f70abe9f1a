"""Heatmap losses with target weights.

- ``JointsMSELoss`` (Xiao et al., SimpleBaseline, Sec. 3): 0.5 x mean squared
  error between predicted and target heatmaps, each joint multiplied by its
  target weight (0 for unlabelled joints), averaged over joints.
- ``JointsOHKMLoss`` (online hard keypoint mining, Chen et al., CPN Sec. 3.3;
  used by DANet, seed 001 Sec. IV-A): the same per-joint loss, but per person
  only the ``topk`` largest joint losses (8 of 17) are kept and averaged.

``foreground_weight`` (default 1 = the papers' loss) scales each pixel's
squared error by ``1 + (fw - 1) x target``: the Gaussian peaks count up to
``fw`` times a background pixel. From scratch, plain MSE first settles on
all-zero heatmaps (its cheapest fit) and some networks take thousands of steps
to leave it; weighting the peaks shortens that phase (the starter recipes).
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .config import LossConfig


def per_joint_mse(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None,
                  foreground_weight: float = 1.0) -> torch.Tensor:
    """``N x K`` losses: 0.5 x mean over pixels of ``((pred - target) * w)^2``."""
    target = target.float()
    diff = pred.float() - target
    if weight is not None:
        diff = diff * weight.float().view(*weight.shape[:2], 1, 1)
    sq = diff.pow(2)
    if foreground_weight != 1.0:
        sq = sq * (1.0 + (foreground_weight - 1.0) * target)
    return 0.5 * sq.flatten(2).mean(2)


class JointsMSELoss(nn.Module):
    def __init__(self, use_target_weight: bool = True, foreground_weight: float = 1.0) -> None:
        super().__init__()
        self.use_target_weight = use_target_weight
        self.foreground_weight = foreground_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return per_joint_mse(pred, target, weight if self.use_target_weight else None, self.foreground_weight).mean()


class JointsOHKMLoss(nn.Module):
    def __init__(self, topk: int = 8, use_target_weight: bool = True, foreground_weight: float = 1.0) -> None:
        super().__init__()
        self.topk = topk
        self.use_target_weight = use_target_weight
        self.foreground_weight = foreground_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        losses = per_joint_mse(pred, target, weight if self.use_target_weight else None, self.foreground_weight)
        k = min(self.topk, losses.shape[1])
        return losses.topk(k, dim=1).values.mean()


def build_loss(cfg: LossConfig) -> nn.Module:
    if cfg.type == "ohkm":
        return JointsOHKMLoss(cfg.topk, cfg.use_target_weight, cfg.foreground_weight)
    return JointsMSELoss(cfg.use_target_weight, cfg.foreground_weight)
