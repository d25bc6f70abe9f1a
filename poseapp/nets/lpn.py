"""LPN: Lightweight Pose Network (seed 003; Wu, Tang & Zhang, arXiv 1911.10346).

Official code: zhang943/lpn-pytorch, ``lib/models/lpn.py`` (network and head)
and ``lib/models/lightweight_modules.py`` (block and attention). Parameter and
module names follow the official code, so its checkpoints load with
``load_state_dict`` (strict). The seed text (seeds/003) holds only the abstract;
the layer details below come from the official code and its configs
(``experiments/coco/lpn/lpn50_256x192_gd256x2_gc.yaml``) and README.

What each part implements
-------------------------
* :class:`GCBlock` -- the attention of the lightweight bottleneck (paper:
  "attention mechanism"; official ``GCBlock`` with ``pool='att'``,
  ``fusions=['channel_add']``), the global-context block of GCNet: a 1x1 conv
  ``C -> 1`` and a softmax over all ``H*W`` positions give the context mask;
  ``context = sum_p x_p * mask_p``; transform ``1x1 C->P, LayerNorm, ReLU,
  1x1 P->C`` with ``P = max(C // 16, 16)``; output ``x + transform(context)``
  (broadcast over positions).
* :class:`LWBottleneck` -- the lightweight bottleneck (paper: "lightweight
  bottleneck block" with depthwise convolution; official ``LW_Bottleneck``):
  expansion 1; ``1x1 conv-BN-ReLU``, depthwise ``3x3 (stride s) conv-BN-ReLU``,
  ``1x1 conv-BN``, GC attention, residual add (``1x1 conv (stride s)-BN``
  projection when the shape changes), ReLU.
* :class:`LPN` -- the network (paper: "following the
  architecture design principles of SimpleBaseline"; official ``LPN``): the
  SimpleBaseline / ResNet layout with the bottleneck swapped: stem ``7x7/2`` conv
  -BN-ReLU + ``3x3/2`` max-pool, four stages of 64/128/256/512 channels with
  strides 1/2/2/**1** (output stride 16, the last stage keeps resolution), blocks
  [3,4,6,3] (LPN-50), [3,4,23,3] (LPN-101), [3,8,36,3] (LPN-152). Head (official
  ``_make_deconv_layer``, config ``gd256x2``): two times
  ``[ConvTranspose 4x4/2 (padding 1, groups = gcd(in, out), no bias), BN, ReLU,
  1x1 conv, BN, ReLU]`` with 256 filters (stride 16 -> 4), then a 1x1 conv
  (with bias) to ``num_joints`` heatmaps. Fully convolutional: 256x192 -> 64x48,
  256x256 -> 64x64 (MPII).

Choices made here
-----------------
* Figures matched: the paper gives 2.7 M params / 1.0 GFLOPs for LPN-50 (abstract);
  the official README gives 2.9 M / 1.0 G (LPN-50), 5.3 M / 1.4 G (LPN-101) and
  7.4 M / 1.8 G (LPN-152) at 256x192. Measured here (Conv/ConvTranspose MACs, one
  multiply-add = one): LPN-50 2.91 M / 1.07 GMACs, LPN-101 5.35 M / 1.50 GMACs,
  LPN-152 7.38 M / 1.94 GMACs. Parameters match the README; the paper's 2.7 M is
  7 % below. The official ``get_model_summary`` divides MACs by 1024**3, which
  gives 0.99 / 1.40 / 1.81 "G" -- exactly the README column -- so the 7-8 % MAC
  gap to the quoted figures is that unit, not an architecture difference.
* Initialisation: the official training-from-scratch init (``init_weights``
  without a pretrained file): every conv / transposed conv weight ~ N(0, 0.001),
  BatchNorm weight 1 / bias 0; conv biases (final layer, GC) set to 0. The
  official global init also overwrites the GC block's own init; here the GCNet
  init is re-applied afterwards, as the GC block intends: context-mask conv
  Kaiming-normal (fan_in), last transform conv zero (so every GC block starts as
  the identity). Consequence: at init the GC mask conv, first transform conv and
  LayerNorm receive exactly zero gradients (defined and finite) until the last
  conv moves away from zero.
* The softmax-weighted sum is written as ``flatten(2)`` + ``softmax`` + one
  batched ``matmul`` (no hard-coded sizes), so ONNX export keeps a dynamic batch.
* The GC context-mask conv has no bias (the official one does): a softmax over
  positions is shift-invariant, so that bias never gets a non-zero gradient and
  changes nothing. Official checkpoints still load strictly: the key is dropped
  on load (``GCBlock._load_from_state_dict``). This saves 16 parameters in LPN-50.
* Beta-Soft-Argmax (the paper's post-processing function) is a decoder, not part of the network; it
  lives with the other decoders. Iterative training is a training
  recipe, not a layer.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from .registry import register_model

__all__ = ["GCBlock", "LWBottleneck", "LPN", "lpn50", "lpn101", "lpn152"]

BN_MOMENTUM = 0.1

_LAYOUTS: dict[int, tuple[int, int, int, int]] = {
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
}


class GCBlock(nn.Module):
    """Global-context attention, ``GC(C, P)`` with channel-add fusion."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        # No bias: softmax over positions is shift-invariant, so a bias would be
        # a dead parameter (its gradient is always exactly zero).
        self.conv_mask = nn.Conv2d(channels, 1, kernel_size=1, bias=False)
        self.softmax = nn.Softmax(dim=2)
        self.channel_add_conv = nn.Sequential(
            nn.Conv2d(channels, hidden, kernel_size=1),
            nn.LayerNorm([hidden, 1, 1]),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, kernel_size=1),
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_normal_(self.conv_mask.weight, mode="fan_in", nonlinearity="relu")
        last = self.channel_add_conv[-1]
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # Official checkpoints carry the (redundant) mask-conv bias: drop it.
        state_dict.pop(prefix + "conv_mask.bias", None)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # context mask: N x 1 x HW, softmax over positions
        mask = self.softmax(self.conv_mask(x).flatten(2))
        # context: (N x C x HW) @ (N x HW x 1) -> N x C x 1 -> N x C x 1 x 1
        context = torch.matmul(x.flatten(2), mask.transpose(1, 2)).unsqueeze(-1)
        return x + self.channel_add_conv(context)


class LWBottleneck(nn.Module):
    """Lightweight bottleneck: 1x1 -> depthwise 3x3 -> 1x1, GC attention, residual."""

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        attention: str | None = "gc",
    ) -> None:
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(
            planes, planes, kernel_size=3, stride=stride, padding=1, groups=planes, bias=False
        )
        self.bn2 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv3 = nn.Conv2d(planes, out, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(out, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.att = GCBlock(out, max(out // 16, 16)) if attention == "gc" else None
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.att is not None:
            out = self.att(out)
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class LPN(nn.Module):
    """Lightweight Pose Network: LW-ResNet backbone (stride 16) + 2 grouped deconvs."""

    def __init__(
        self,
        layers: tuple[int, int, int, int] | list[int],
        num_joints: int = 17,
        deconv_filters: tuple[int, ...] = (256, 256),
        attention: str | None = "gc",
    ) -> None:
        super().__init__()
        if attention not in ("gc", None):
            raise ValueError(f"attention must be 'gc' or None, got {attention!r}")
        self.attention = attention
        self.inplanes = 64

        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

        self.layer1 = self._make_layer(64, layers[0], stride=1)
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=1)

        self.deconv_layers = self._make_deconv_layers(deconv_filters)
        self.final_layer = nn.Conv2d(self.inplanes, num_joints, kernel_size=1)

        self.init_weights()

    def _make_layer(self, planes: int, blocks: int, stride: int) -> nn.Sequential:
        out = planes * LWBottleneck.expansion
        downsample = None
        if stride != 1 or self.inplanes != out:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, out, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out, momentum=BN_MOMENTUM),
            )
        mods = [LWBottleneck(self.inplanes, planes, stride, downsample, self.attention)]
        self.inplanes = out
        mods += [LWBottleneck(out, planes, attention=self.attention) for _ in range(1, blocks)]
        return nn.Sequential(*mods)

    def _make_deconv_layers(self, filters: tuple[int, ...]) -> nn.Sequential:
        mods: list[nn.Module] = []
        for planes in filters:
            mods += [
                nn.ConvTranspose2d(
                    self.inplanes, planes, kernel_size=4, stride=2, padding=1,
                    output_padding=0, groups=math.gcd(self.inplanes, planes), bias=False,
                ),
                nn.BatchNorm2d(planes, momentum=BN_MOMENTUM),
                nn.ReLU(inplace=True),
                nn.Conv2d(planes, planes, kernel_size=1, bias=False),
                nn.BatchNorm2d(planes, momentum=BN_MOMENTUM),
                nn.ReLU(inplace=True),
            ]
            self.inplanes = planes
        return nn.Sequential(*mods)

    def init_weights(self) -> None:
        """Official from-scratch init, then the GC blocks' own init (see module doc)."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(m.weight, std=0.001)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for m in self.modules():
            if isinstance(m, GCBlock):
                m.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.final_layer(self.deconv_layers(x))


_PAPER = "LPN (seed 003, arXiv 1911.10346)"


@register_model(
    "lpn50", paper=_PAPER, paper_params_m=2.7, alt_paper_params_m=(2.9,),
    paper_gmacs=1.0, paper_coco_ap=69.1, paper_mpii_pckh=88.6,
)
def lpn50(num_joints: int = 17, attention: str | None = "gc") -> nn.Module:
    """LPN-50: blocks [3, 4, 6, 3]; paper 2.7 M (README 2.9 M) params, 1.0 GFLOPs."""
    return LPN(_LAYOUTS[50], num_joints=num_joints, attention=attention)


@register_model(
    "lpn101", paper=_PAPER + ", official README", paper_params_m=5.3,
    paper_gmacs=1.4, paper_coco_ap=70.4,
)
def lpn101(num_joints: int = 17, attention: str | None = "gc") -> nn.Module:
    """LPN-101: blocks [3, 4, 23, 3]; README 5.3 M params, 1.4 GFLOPs, COCO val AP 70.4."""
    return LPN(_LAYOUTS[101], num_joints=num_joints, attention=attention)


@register_model(
    "lpn152", paper=_PAPER + ", official README", paper_params_m=7.4,
    paper_gmacs=1.8, paper_coco_ap=71.0,
)
def lpn152(num_joints: int = 17, attention: str | None = "gc") -> nn.Module:
    """LPN-152: blocks [3, 8, 36, 3]; README 7.4 M params, 1.8 GFLOPs, COCO val AP 71.0."""
    return LPN(_LAYOUTS[152], num_joints=num_joints, attention=attention)
