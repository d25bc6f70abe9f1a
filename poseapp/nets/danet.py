"""DANet: Deeply Aggregated Network (seed 001; Luo et al., "Efficient Human Pose
Estimation by Learning Deeply Aggregated Representations").

No official code was released; everything below follows the paper's text,
Table I (layer table), eq. 2 (OAB), eq. 3 (SFU) and Fig. 3/4, and where the paper
is vague the simplest design whose counted size matches Tables II/III and the
ablation Tables IV/VI/VII. Variants: DANet-72 / 88 / 98 / 102 (Table I columns).

What each part implements
-------------------------
* Composition (Fig. 4 caption): every ``k x k`` block is ``BN - ReLU - conv``
  (pre-activation, as in DenseNet); :class:`_BNReLUConv`. Convs followed by BN
  (in the next block) have no bias.
* Stem (Table I, rows 1-2): ``conv 7x7, 64, stride 2`` (-> 128x96), then
  ``[BN-ReLU-conv 3x3, 64, stride 2]`` (-> 64x48).
* :class:`OABLayer` -- one layer ``d`` of the orthogonal attention block
  (Sec. III-A, eq. 2):
  ``M = MA(f_p)``, ``C = CA(f_p)``, ``f_n = phi(f_p * C) * (1 - M)``,
  ``f_p+1 = Cat(f_p, f_n)``.

  - ``phi`` (Table I, Sec. III-C): ``[BN-ReLU-1x1, 32] -> [BN-ReLU-3x3, 32]``
    (bottleneck 32, growth rate 32).
  - ``CA`` (channel attention unit, Sec. III-A "Channel Attention", Fig. 4a):
    an SE unit on the layer input, inserted before the 1x1 conv: global average
    pool (``x.mean((2, 3), keepdim=True)``), 1x1 conv ``C -> C//16`` (+bias),
    ReLU, 1x1 conv ``C//16 -> C`` (+bias), sigmoid. Reduction 16 is SE's
    default (the paper gives none); it gives CAU +1.67 M params in DANet-102
    (Table IV: +1.4 M). The FC layers are 1x1 convs on the pooled tensor, so
    no reshape op appears in ONNX.
  - ``MA`` (mask attention unit, Sec. III-A "Mask Attention", eq. 1): the
    paper extracts ``M`` with a 9x9 *depthwise* conv, and ``M`` multiplies
    ``phi``'s 32-channel output, so it must have 32 channels while ``f_p`` has
    ``C`` (up to 928). The cheap route chosen: first reduce with
    ``[BN-ReLU-1x1, C -> 32]``, then ``[BN-ReLU-depthwise 9x9, 32]`` (+bias,
    no BN follows) on only 32 channels. A depthwise 9x9 on all ``C`` input
    channels would cost ``81*C`` params per layer (1.8 M in DANet-102); the
    chosen order costs 0.85 M params / 0.32 GMACs in DANet-102, which is the
    paper's own MAU cost (Table IV / VI: +0.8 M, +0.3 G), so this is very
    likely the authors' design.
  - ``M = Sigmoid(Abs(MA(f_p)))`` and the mask ``1 - M`` is computed as the
    identical ``Sigmoid(-Abs(MA(f_p)))`` (one op fewer).
* :class:`OAB` -- a dense block of ``L`` OAB layers (Sec. III-A, Table I),
  followed by its transition layer ``[BN-ReLU-1x1]`` to 96/192/384/512
  channels (DANet-72; other columns of Table I for 88/98/102). The transition
  outputs are the four pyramid features (64x48, 32x24, 16x12, 8x6); a 3x3
  max-pool, stride 2 (padding 1) goes between stages (Table I).
* :class:`SFU` -- second-order fusion unit (Sec. III-B, eq. 3, Fig. 4b):
  ``lambda = Sigmoid(theta(Cat(f_td, f_bu)))``,
  ``f = lambda * f_td + (1 - lambda) * f_bu`` (computed as the identical
  ``f_bu + lambda * (f_td - f_bu)``). ``theta``, "a combination of point-wise
  and depthwise convolution, kernel 9" / "a three-layer block", is read as
  ``[BN-ReLU-1x1, 2C -> C] -> [BN-ReLU-depthwise 9x9, C]`` (+bias): pointwise
  conv, BN-ReLU, depthwise conv. ``lambda`` has ``C`` channels (per-channel,
  per-pixel weights).
* Bottom-up path (Sec. III, Fig. 3): starting from the 8x6 pyramid feature,
  the running fused feature is reduced to the next finer level's channel count
  by ``[BN-ReLU-1x1]`` *at its own (coarse) resolution* (cheap), upsampled x2
  with nearest neighbour (to the finer feature's size, taken from the tensor, so
  any input size works), and fused with that level's pyramid feature by an SFU;
  three SFUs, at 16x12, 32x24, 64x48 (``f_td`` = top-down pyramid feature,
  ``f_bu`` = bottom-up feature). There is no extra lateral conv: the fused
  channels are the pyramid's (96 for DANet-72 at 64x48).
* Regressor (Fig. 3): ``[BN-ReLU-1x1] -> num_joints`` heatmaps at stride 4
  (64x48 for 256x192, 64x64 for 256x256), with bias.

Figures matched (COCO, 256x192; "FLOPs" counted as multiply-accumulates of the
conv/linear layers, :func:`poseapp.nets.flops.count_macs`)
--------------------------------------------------------------------------
Paper (Table II/III): DANet-72 3.4 M / 1.0 G, -88 5.3 M / 1.4 G, -98 5.7 M /
1.6 G, -102 5.8 M / 1.8 G. Counted here (all parameters, BN included):
DANet-72 3.47 M / 1.02 G (+2 % / +2 %), -88 5.67 M / 1.33 G (+7 % / -5 %),
-98 6.19 M / 1.64 G (+9 % / +2 %), -102 6.26 M / 1.82 G (+8 % / +1 %); at
256x256 DANet-72 counts 1.35 GMACs. The bottom-up design without lateral convs was chosen because it makes
all four main-table figures fit; with 128-channel laterals instead, the SFU cost
would match the ablation Table VII (+0.1 M / +0.2 G) better but DANet-72 would
count only about 3.0 M params (-12 %). The paper's MPII table (VIII, 256x256) lists
other GFLOPs (1.6/2.8/2.2/2.4) that are not consistent with its COCO figures
scaled by 4/3; the COCO figures are the ones matched.

Other choices
-------------
* Initialisation: Kaiming-normal (fan_out, ReLU) for convs, fan_in for
  depthwise convs (their true fan); conv biases 0; BN weight 1, bias 0; the
  final regressor conv N(0, 0.001), bias 0 (as HRNet).
* Every parameter takes part in the forward pass (no unused parameters).
* Any input size works (sizes come from the tensors; the upsampling takes the
  finer feature's size), output stride 4. ONNX export (opset 17, legacy
  exporter ``dynamo=False``, dynamic batch) uses only Conv, BatchNormalization,
  Relu, Sigmoid, Abs, Neg, Mul, Sub, Add, Concat, ReduceMean, MaxPool, Resize
  (nearest) and shape ops; BNs that follow a conv are folded by the exporter.
* Training recipe (OHKM loss, Adam 3e-4 linear decay, augmentation) and testing
  (flip, blur, quarter offset) are not part of the network.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .registry import register_model

GROWTH = 32  # growth rate (Sec. III-C)
BOTTLENECK = 32  # output channels of the 1x1 bottleneck (Sec. III-C)
SE_REDUCTION = 16  # CAU reduction (SE default; not given in the paper)
LARGE_KERNEL = 9  # depthwise kernel of MAU and SFU (Sec. III-A, III-B)

# Table I: layers per OAB and transition output channels.
DANET_CONFIGS: dict[int, tuple[tuple[int, int, int, int], tuple[int, int, int, int]]] = {
    72: ((3, 6, 12, 12), (96, 192, 384, 512)),
    88: ((4, 5, 18, 14), (128, 192, 512, 640)),
    98: ((4, 12, 16, 14), (128, 256, 512, 640)),
    102: ((6, 12, 16, 14), (128, 256, 512, 640)),
}


class _BNReLUConv(nn.Sequential):
    """``BN - ReLU - conv`` (the paper's composition of a ``k x k`` block)."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel: int,
        stride: int = 1,
        groups: int = 1,
        bias: bool = False,
    ) -> None:
        super().__init__(
            nn.BatchNorm2d(in_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_ch, out_ch, kernel, stride, kernel // 2, groups=groups, bias=bias),
        )


class ChannelAttention(nn.Module):
    """CAU: SE unit ``sigmoid(W2 relu(W1 GAP(x)))`` (Sec. III-A)."""

    def __init__(self, channels: int, reduction: int = SE_REDUCTION) -> None:
        super().__init__()
        hidden = max(channels // reduction, 1)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = x.mean((2, 3), keepdim=True)
        return torch.sigmoid(self.fc2(F.relu(self.fc1(w))))


class OABLayer(nn.Module):
    """One layer of an orthogonal attention block (eq. 2); returns ``f_n``."""

    def __init__(self, in_ch: int) -> None:
        super().__init__()
        self.ca = ChannelAttention(in_ch)
        self.phi = nn.Sequential(
            _BNReLUConv(in_ch, BOTTLENECK, 1),
            _BNReLUConv(BOTTLENECK, GROWTH, 3),
        )
        self.ma = nn.Sequential(
            _BNReLUConv(in_ch, GROWTH, 1),
            _BNReLUConv(GROWTH, GROWTH, LARGE_KERNEL, groups=GROWTH, bias=True),
        )

    def forward(self, f_p: torch.Tensor) -> torch.Tensor:
        keep = torch.sigmoid(-torch.abs(self.ma(f_p)))  # 1 - M, M = sigmoid(|MA|)
        return self.phi(f_p * self.ca(f_p)) * keep


class OAB(nn.Module):
    """Orthogonal attention block: dense OAB layers + transition ``[BN-ReLU-1x1]``."""

    def __init__(self, in_ch: int, num_layers: int, out_ch: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(OABLayer(in_ch + i * GROWTH) for i in range(num_layers))
        self.transition = _BNReLUConv(in_ch + num_layers * GROWTH, out_ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = torch.cat((x, layer(x)), 1)
        return self.transition(x)


class SFU(nn.Module):
    """Second-order fusion unit (eq. 3): ``f = l*f_td + (1-l)*f_bu``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.theta = nn.Sequential(
            _BNReLUConv(2 * channels, channels, 1),
            _BNReLUConv(channels, channels, LARGE_KERNEL, groups=channels, bias=True),
        )

    def forward(self, f_td: torch.Tensor, f_bu: torch.Tensor) -> torch.Tensor:
        lam = torch.sigmoid(self.theta(torch.cat((f_td, f_bu), 1)))
        return f_bu + lam * (f_td - f_bu)


class DANet(nn.Module):
    """DANet-S (Table I): stem, four OABs (top-down), SFU bottom-up path, regressor."""

    def __init__(
        self,
        layers: tuple[int, ...],
        channels: tuple[int, ...],
        num_joints: int = 17,
        stem_channels: int = 64,
    ) -> None:
        super().__init__()
        if len(layers) != len(channels):
            raise ValueError("layers and channels must have the same length")
        self.stem = nn.Sequential(
            nn.Conv2d(3, stem_channels, 7, 2, 3, bias=False),
            _BNReLUConv(stem_channels, stem_channels, 3, stride=2),
        )
        blocks = []
        in_ch = stem_channels
        for n, out_ch in zip(layers, channels):
            blocks.append(OAB(in_ch, n, out_ch))
            in_ch = out_ch
        self.blocks = nn.ModuleList(blocks)
        self.pool = nn.MaxPool2d(3, 2, 1)
        # Bottom-up path, coarse to fine: reduce (at the coarse level), upsample, SFU.
        self.reduce = nn.ModuleList(
            _BNReLUConv(channels[i + 1], channels[i], 1) for i in reversed(range(len(channels) - 1))
        )
        self.fuse = nn.ModuleList(SFU(channels[i]) for i in reversed(range(len(channels) - 1)))
        self.regressor = _BNReLUConv(channels[0], num_joints, 1, bias=True)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m.groups > 1:  # depthwise: its fan is k*k either way
                    nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
                else:
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        final = self.regressor[-1]
        nn.init.normal_(final.weight, std=0.001)
        nn.init.zeros_(final.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        pyramid = []
        for i, block in enumerate(self.blocks):
            if i:
                x = self.pool(x)
            x = block(x)
            pyramid.append(x)
        f = pyramid[-1]
        for reduce, sfu, f_td in zip(self.reduce, self.fuse, reversed(pyramid[:-1])):
            f_bu = F.interpolate(reduce(f), size=f_td.shape[-2:], mode="nearest")
            f = sfu(f_td, f_bu)
        return self.regressor(f)


def _danet(depth: int, num_joints: int) -> DANet:
    layers, channels = DANET_CONFIGS[depth]
    return DANet(layers, channels, num_joints=num_joints)


@register_model(
    "danet72",
    paper="DANet (seed 001), Table I",
    paper_params_m=3.4,
    paper_gmacs=1.0,
    paper_coco_ap=71.0,
    paper_mpii_pckh=90.6,
)
def danet72(num_joints: int = 17) -> nn.Module:
    """DANet-72: OAB layers (3, 6, 12, 12), transitions (96, 192, 384, 512)."""
    return _danet(72, num_joints)


@register_model(
    "danet88",
    paper="DANet (seed 001), Table I",
    paper_params_m=5.3,
    paper_gmacs=1.4,
    paper_coco_ap=71.9,
    paper_mpii_pckh=91.0,
)
def danet88(num_joints: int = 17) -> nn.Module:
    """DANet-88: OAB layers (4, 5, 18, 14), transitions (128, 192, 512, 640)."""
    return _danet(88, num_joints)


@register_model(
    "danet98",
    paper="DANet (seed 001), Table I",
    paper_params_m=5.7,
    paper_gmacs=1.6,
    paper_coco_ap=72.8,
    paper_mpii_pckh=91.4,
)
def danet98(num_joints: int = 17) -> nn.Module:
    """DANet-98: OAB layers (4, 12, 16, 14), transitions (128, 256, 512, 640)."""
    return _danet(98, num_joints)


@register_model(
    "danet102",
    paper="DANet (seed 001), Table I",
    paper_params_m=5.8,
    paper_gmacs=1.8,
    paper_coco_ap=73.4,
    paper_mpii_pckh=91.6,
)
def danet102(num_joints: int = 17) -> nn.Module:
    """DANet-102: OAB layers (6, 12, 16, 14), transitions (128, 256, 512, 640)."""
    return _danet(102, num_joints)
