"""Parameter and multiply-accumulate (MAC) counting.

The papers report "FLOPs" as multiply-accumulates of the convolution and
fully-connected layers; we count the same way with forward hooks: one MAC per
multiply-add of Conv2d / ConvTranspose2d / Linear. Normalisation, activations,
pooling and element-wise products are not counted (as in thop / the papers).
"""
from __future__ import annotations

import torch
import torch.nn as nn


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, input_hw: tuple[int, int] = (256, 192)) -> int:
    """MACs of one forward pass of a single ``1 x 3 x H x W`` input."""
    total = 0

    def conv_hook(m: nn.Conv2d, inp, out) -> None:
        nonlocal total
        kh, kw = m.kernel_size
        total += out.numel() * (m.in_channels // m.groups) * kh * kw

    def deconv_hook(m: nn.ConvTranspose2d, inp, out) -> None:
        nonlocal total
        kh, kw = m.kernel_size
        total += inp[0].numel() * (m.out_channels // m.groups) * kh * kw

    def linear_hook(m: nn.Linear, inp, out) -> None:
        nonlocal total
        total += out.numel() * m.in_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.ConvTranspose2d):
            handles.append(m.register_forward_hook(deconv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, *input_hw))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return total
