"""An exponential moving average of the weights (the checkpoint that ships).

``ema = d x ema + (1 - d) x weights`` after every optimiser step, with the
usual warm-up of the decay, ``d = min(decay, (1 + n) / (10 + n))`` after ``n``
updates, so the random initial weights are forgotten quickly. With a constant
learning rate the average is close to what a learning-rate decay would give, at
any moment: a run can stop at a session's end, ship its average, and resume
later at full learning rate. BatchNorm buffers are not averaged: the trainer
re-estimates them for the averaged weights (``train.precise_bn``).
"""
from __future__ import annotations

import copy

import torch
import torch.nn as nn


class WeightEMA:
    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.shadow = {k: v.detach().clone().float() for k, v in model.named_parameters()}
        self.module = copy.deepcopy(model)  # holds the averaged weights for evaluation and saving
        for p in self.module.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        d = min(self.decay, (1.0 + self.updates) / (10.0 + self.updates))
        for k, p in model.named_parameters():
            self.shadow[k].lerp_(p.detach().float(), 1.0 - d)
        self.updates += 1

    @torch.no_grad()
    def materialize(self, model: nn.Module) -> nn.Module:
        """``self.module`` with the averaged weights and ``model``'s current buffers."""
        params = dict(self.module.named_parameters())
        for k, v in self.shadow.items():
            params[k].copy_(v)
        own = dict(self.module.named_buffers())
        for k, b in model.named_buffers():
            own[k].copy_(b)
        return self.module

    def state_dict(self) -> dict:
        return {"decay": self.decay, "updates": self.updates, "shadow": self.shadow}

    def load_state_dict(self, state: dict) -> None:
        self.updates = int(state["updates"])
        for k, v in state["shadow"].items():
            self.shadow[k].copy_(v)
