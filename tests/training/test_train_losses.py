"""Losses (MSE with target weights, OHKM top-k) and learning-rate schedules."""
from __future__ import annotations

import pytest
import torch

from poseapp.training.config import LossConfig, OptimConfig
from poseapp.training.losses import JointsMSELoss, JointsOHKMLoss, build_loss, per_joint_mse
from poseapp.training.schedule import build_optimizer, build_scheduler, lr_factor


def _batch(per_joint_error: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Predictions whose joint j is off by a constant ``per_joint_error[n, j]`` everywhere."""
    n, k = per_joint_error.shape
    target = torch.rand(n, k, 8, 6)
    return target + per_joint_error[..., None, None], target


def test_mse_with_target_weights() -> None:
    err = torch.tensor([[1.0, 2.0, 3.0], [0.5, 0.0, 1.0]])
    pred, target = _batch(err)
    weight = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    expected = (0.5 * (err * weight) ** 2).mean()
    assert JointsMSELoss()(pred, target, weight).item() == pytest.approx(expected.item(), rel=1e-5)
    assert JointsMSELoss(use_target_weight=False)(pred, target, weight).item() == pytest.approx(
        (0.5 * err**2).mean().item(), rel=1e-5)
    assert per_joint_mse(pred, target, weight).shape == (2, 3)


def test_ohkm_keeps_the_hardest_k() -> None:
    torch.manual_seed(0)
    err = torch.rand(4, 17)
    pred, target = _batch(err)
    weight = torch.ones(4, 17)
    weight[0, err[0].argmax()] = 0  # a weighted-out joint is not hard
    losses = 0.5 * (err * weight) ** 2
    top8 = losses.sort(dim=1, descending=True).values[:, :8]
    loss = JointsOHKMLoss(topk=8)(pred, target, weight)
    assert loss.item() == pytest.approx(top8.mean().item(), rel=1e-5)
    assert loss.item() > JointsMSELoss()(pred, target, weight).item()
    # only the top-k joints receive gradient
    pred = pred.clone().requires_grad_(True)
    JointsOHKMLoss(topk=8)(pred, target, weight).backward()
    has_grad = pred.grad.abs().flatten(2).sum(2) > 0
    assert has_grad.sum(1).tolist() == [8, 8, 8, 8]
    assert isinstance(build_loss(LossConfig(type="ohkm", topk=8)), JointsOHKMLoss)
    assert isinstance(build_loss(LossConfig()), JointsMSELoss)


def test_multistep_with_warmup() -> None:
    cfg = OptimConfig(lr=2e-3, schedule="multistep", milestones=[170, 200], warmup_iters=500, warmup_ratio=0.001)
    f = lr_factor(cfg, steps_per_epoch=100, epochs=210)
    assert f(0) == pytest.approx(0.001)
    assert f(250) == pytest.approx(0.001 + 0.999 * 0.5)
    assert f(500) == 1.0 and f(16999) == 1.0
    assert f(17000) == pytest.approx(0.1) and f(20000) == pytest.approx(0.01)


def test_linear_to_zero_through_the_optimizer() -> None:
    cfg = OptimConfig(lr=3e-4, schedule="linear")
    model = torch.nn.Linear(2, 2)
    opt = build_optimizer(model.parameters(), cfg)
    sched = build_scheduler(opt, cfg, steps_per_epoch=10, epochs=5)
    lrs = []
    for _ in range(50):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] == pytest.approx(3e-4) and lrs[25] == pytest.approx(1.5e-4)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))
