"""Learning-rate schedules, stepped every iteration.

- ``multistep``: x ``gamma`` at each milestone epoch (SimpleBaseline/HRNet/LPN:
  steps at 90/120 of 150 or 170/200 of 210 epochs);
- ``linear``: from the base rate down to 0 at the last iteration (DANet, seed
  001 Sec. IV-A: 3e-4 "decays linearly to 0 at the end of the training");
- ``constant``.
Any of them can start with a linear warm-up from ``warmup_ratio`` x lr over
``warmup_iters`` iterations (mmpose's ``warmup='linear'``, Lite-HRNet: 500, 0.001).
"""
from __future__ import annotations

import bisect
from typing import Callable

import torch

from .config import OptimConfig


def lr_factor(cfg: OptimConfig, steps_per_epoch: int, epochs: int) -> Callable[[int], float]:
    """``f(step) -> multiplier`` of the base learning rate."""
    total = max(1, steps_per_epoch * epochs)
    milestones = sorted(int(m) * steps_per_epoch for m in cfg.milestones)

    def factor(step: int) -> float:
        if cfg.schedule == "multistep":
            f = cfg.gamma ** bisect.bisect_right(milestones, step)
        elif cfg.schedule == "linear":
            f = max(0.0, 1.0 - step / total)
        else:
            f = 1.0
        if cfg.warmup_iters > 0 and step < cfg.warmup_iters:
            f *= cfg.warmup_ratio + (1.0 - cfg.warmup_ratio) * step / cfg.warmup_iters
        return f

    return factor


def build_optimizer(params, cfg: OptimConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def build_scheduler(optimizer: torch.optim.Optimizer, cfg: OptimConfig, steps_per_epoch: int, epochs: int):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(cfg, steps_per_epoch, epochs))
