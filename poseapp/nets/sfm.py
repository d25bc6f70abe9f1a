"""SFM: slender fusion model with HSA (high-level spatial attention), seed 000.

The paper (seed 000) describes the network in prose only and no code was
published, so the layer-level design below is ours. What the paper fixes:

* SFM ("slender fusion model"): "expand the general pyramid network to a
  cascaded pyramid network to extend the network depth", and "add fusion
  connections for different scales as much as possible".
* HSA: "computing the attention map of the attention map to get a more precise
  and learnable attention map", improving long-range feature capture "while
  consuming essentially no computational resources".
* Budget: 1.5 M parameters, 1.7 GFLOPs (= GMACs, one multiply-add counted once)
  at 256x192, no ImageNet pretraining; COCO val AP 71.7, MPII PCKh@0.5 89.0.

Layout (input N x 3 x H x W, output N x J x H/4 x W/4; H and W multiples of
32 keep every level exact, other sizes are handled by resizing the upsampled
map to its skip partner):

    stem        3x3 conv s2 (3->48) ; 3x3 conv s2 (48->64)            -> 1/4
    stage k     encoder 1/4 -> 1/8 -> 1/16 -> 1/32  (inverted residuals)
    (k=1..S)    HSA on the 1/32 bottleneck
                decoder 1/32 -> 1/16 -> 1/8 -> 1/4  (upsample x2 + skip add)
                dense cross-stage fusion into every encoder level
    head        concat of every stage's 1/4 output -> 1x1 conv -> HSA
                -> 1x1 conv to J heatmaps

Design choices (P = follows the paper, O = our choice):

1. (P) Cascaded pyramid: S = 3 stages, each a full down-then-up pyramid
   (hourglass-like encoder-decoder) over four scales 1/4, 1/8, 1/16, 1/32
   (O: four scales and 1/32 bottleneck as in CPN / MSPN / SimpleBaseline;
   S = 3 is the smallest cascade deeper than MSPN-2 that the budget allows
   while keeping every stage full width: "slender" = deep and narrow).
2. (P) Fusion "as much as possible", our reading: *dense same-scale fusion*.
   The level-s encoder feature of stage k receives the level-s encoder AND
   decoder features of ALL earlier stages j < k (MSPN's cross-stage
   aggregation, generalised from the previous stage to every earlier one,
   DenseNet-style). (O) They are concatenated and mixed by ONE 1x1 conv + BN
   per (stage, level) and added, rather than one 1x1 conv per pair: the same
   function (a 1x1 conv on a concat equals a sum of per-input 1x1 convs) with
   fewer, larger ops, which is faster on CPU. Within a stage, each decoder
   level also adds its encoder skip (the ordinary pyramid lateral), and the
   head fuses the 1/4 outputs of every stage (again concat + one 1x1 conv),
   so every same-scale pair across the cascade is connected. There are no
   intermediate heads: the model returns one tensor and every parameter takes
   part in it (intermediate supervision would need extra outputs).
3. (P) HSA, our formulation ("attention map of the attention map"):
       s  = [mean_c(x); max_c(x)]                    2 x H x W  (channel pooling)
       A1 = sigmoid(BN(conv7x7(s)))                  first-order spatial attention
       A2 = sigmoid(BN(conv7x7_dil3(A1)))            attention OF the map A1
       y  = x * (A1 * A2)
   A1 is the usual (CBAM-style) spatial attention. A2 is an attention map
   computed over A1 itself by a learnable 7x7 conv with dilation 3 (19x19
   receptive field on the map): it looks at the first map's long-range
   layout and decides which of its responses to keep (e.g. damps isolated
   spurious peaks, keeps limb-shaped regions), so the refined map A1 * A2 is
   sharper and more "learnable" than A1. Cost: 2*49 + 49 weights + 2 BN
   (151 parameters) and < 0.5 M MACs per use: "essentially nothing".
   (O) Placement: on the 1/32 bottleneck of every stage (the high-level,
   widest-receptive-field features, where long-range context is decided
   before the decoder spreads it to all scales) and once before the final
   1x1 head on the fused 1/4 features (re-weights the positions the
   heatmaps are read from). 4 HSA modules in all.
4. (O) Lightweight blocks: MobileNetV2 inverted residuals (1x1 expand, BN,
   ReLU; depthwise 3x3 (stride 1 or 2), BN, ReLU; 1x1 project, BN; identity
   shortcut when shapes match). Downsampling is the stride-2 depthwise conv
   of the first block of a level. Upsampling: 1x1 conv + BN at the low
   resolution (channel change where it is cheap), nearest x2 interpolate,
   add the skip, then one inverted residual. ReLU (not ReLU6/h-swish) and
   nearest upsampling: cheapest on CPU and exact in ONNX.
5. (O) Where the compute goes: 1.7 GMACs with only 1.5 M parameters needs
   most of the MACs at 1/4 scale (64x48 = 3072 positions, 3072 MACs per
   1x1 weight there, against 48 at 1/32). Channels per level
   C = (64, 80, 96, 136) for 1/4, 1/8, 1/16, 1/32, expansion 4 at 1/4 and
   1/8 and 3 below; the 1/4 level has two blocks in each encoder and one in
   each decoder, the other levels one each. The narrow low-resolution levels
   keep the parameter count down. Measured split: 78% of the MACs are at 1/4
   (64x48), 16% at 1/8, 5% at 1/16, 1% each at 1/32 and in the first stem
   conv, while parameters are spread evenly over the four levels. Stem: two
   dense 3x3 stride-2 convs (3->48->64), as in HRNet / MSPN (64 wide) with a
   narrower first conv. The dense fusion 1x1 convs are 0.23 M parameters.
   These widths were tuned to the paper's budget; the paper gives none.
6. (O) Init as the project convention: Kaiming-normal (fan_out, ReLU) for
   convs, BN weight 1 / bias 0, final heatmap conv normal(std 0.001),
   bias 0. No pretraining (the paper trains from scratch).

7. (O) Export/runtime: only Conv, BN (folded on export), ReLU, Sigmoid, Mul,
   Add, Concat, ReduceMean/ReduceMax and nearest Resize (scale 2); exports to
   ONNX opset 17 with a dynamic batch (legacy exporter, dynamo=False).
   101 convs in all.

Measured (poseapp.nets.flops, 1 x 3 x 256 x 192, num_joints = 17):
    params = 1,493,533 (1.494 M, paper 1.5 M, -0.4%)
    MACs   = 1,693,250,736 (1.693 G, paper 1.7 G, -0.4%)
Both paper figures are matched (the paper gives one value of each).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .registry import register_model

__all__ = ["SFM", "HSA", "sfm"]


def _conv_bn(cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1, relu: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand, depthwise 3x3 (stride s), 1x1 project."""

    def __init__(self, cin: int, cout: int, stride: int = 1, expand: int = 4) -> None:
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.block = nn.Sequential(
            _conv_bn(cin, hidden, 1),
            _conv_bn(hidden, hidden, 3, stride=stride, groups=hidden),
            _conv_bn(hidden, cout, 1, relu=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return x + y if self.use_res else y


class HSA(nn.Module):
    """High-level spatial attention: an attention map of the attention map.

    ``A1 = sigmoid(BN(conv7x7([mean_c x; max_c x])))`` is a plain spatial
    attention map; ``A2 = sigmoid(BN(conv7x7_dilated(A1)))`` is a learnable
    attention computed over A1 itself (long-range, 19x19 receptive field on
    the map); the features are re-weighted by the refined map ``A1 * A2``.
    """

    def __init__(self, kernel: int = 7, kernel2: int = 7, dilation2: int = 3) -> None:
        super().__init__()
        self.att1 = nn.Sequential(
            nn.Conv2d(2, 1, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(1),
        )
        self.att2 = nn.Sequential(
            nn.Conv2d(1, 1, kernel2, padding=dilation2 * (kernel2 // 2), dilation=dilation2, bias=False),
            nn.BatchNorm2d(1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        a1 = torch.sigmoid(self.att1(pooled))
        a2 = torch.sigmoid(self.att2(a1))
        return x * (a1 * a2)


def _up_to(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Nearest upsampling of ``x`` to ``ref``'s size: x2 where the sizes are exact (inputs that are
    multiples of the deepest stride), else resized to fit (192x144: the 4.5 x 32 level).

    The traced graph of an exact input keeps a constant-scale x2 Resize (no Shape arithmetic); other
    sizes export the size taken from ``ref``, so the ONNX export runs at any input size."""
    if tuple(ref.shape[-2:]) == (2 * x.shape[-2], 2 * x.shape[-1]):
        return F.interpolate(x, scale_factor=2.0, mode="nearest")
    return F.interpolate(x, size=ref.shape[-2:], mode="nearest")


class PyramidStage(nn.Module):
    """One down-then-up pyramid with dense same-scale fusion from earlier stages."""

    def __init__(
        self,
        index: int,
        channels: tuple[int, ...],
        expand: tuple[int, ...],
        enc_blocks: tuple[int, ...],
        dec_blocks: tuple[int, ...],
        in_channels: int,
    ) -> None:
        super().__init__()
        n = len(channels)
        self.index = index
        enc: list[nn.Module] = []
        for s, c in enumerate(channels):
            blocks: list[nn.Module] = []
            cin = in_channels if s == 0 else channels[s - 1]
            for b in range(enc_blocks[s]):
                stride = 2 if (s > 0 and b == 0) else 1
                blocks.append(InvertedResidual(cin, c, stride, expand[s]))
                cin = c
            enc.append(nn.Sequential(*blocks))
        self.enc = nn.ModuleList(enc)
        # dense cross-stage fusion: concat of (enc, dec) level-s features of
        # every earlier stage -> one 1x1 conv + BN, added to this stage's encoder.
        self.fuse = nn.ModuleList(
            [_conv_bn(2 * index * c, c, 1, relu=False) for c in channels] if index > 0 else []
        )
        self.hsa = HSA()
        self.up_proj = nn.ModuleList(
            [_conv_bn(channels[s + 1], channels[s], 1, relu=False) for s in range(n - 1)]
        )
        self.dec = nn.ModuleList(
            [
                nn.Sequential(*[InvertedResidual(channels[s], channels[s], 1, expand[s]) for _ in range(dec_blocks[s])])
                for s in range(n - 1)
            ]
        )

    def forward(
        self, x: torch.Tensor, earlier: list[list[torch.Tensor]]
    ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        n = len(self.enc)
        encs: list[torch.Tensor] = []
        for s in range(n):
            x = self.enc[s](x)
            if self.index > 0:
                x = x + self.fuse[s](torch.cat(earlier[s], dim=1))
            encs.append(x)
        y = self.hsa(encs[-1])
        decs: list[torch.Tensor] = [y]
        for s in range(n - 2, -1, -1):
            y = _up_to(self.up_proj[s](y), encs[s]) + encs[s]
            y = self.dec[s](y)
            decs.append(y)
        decs.reverse()
        return encs, decs


class SFM(nn.Module):
    """Slender fusion model: cascaded pyramids with dense same-scale fusion and HSA."""

    def __init__(
        self,
        num_joints: int = 17,
        num_stages: int = 3,
        channels: tuple[int, ...] = (64, 80, 96, 136),
        expand: tuple[int, ...] = (4, 4, 3, 3),
        enc_blocks: tuple[int, ...] = (2, 1, 1, 1),
        dec_blocks: tuple[int, ...] = (1, 1, 1),
        stem_channels: int = 48,
    ) -> None:
        super().__init__()
        c0 = channels[0]
        self.stem = nn.Sequential(
            _conv_bn(3, stem_channels, 3, stride=2),
            _conv_bn(stem_channels, c0, 3, stride=2),
        )
        self.stages = nn.ModuleList(
            [PyramidStage(k, channels, expand, enc_blocks, dec_blocks, c0) for k in range(num_stages)]
        )
        self.head_fuse = _conv_bn(num_stages * c0, c0, 1)
        self.head_hsa = HSA()
        self.final = nn.Conv2d(c0, num_joints, 1)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.final.weight, std=0.001)
        nn.init.zeros_(self.final.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        n_levels = len(self.stages[0].enc)
        earlier: list[list[torch.Tensor]] = [[] for _ in range(n_levels)]
        outs: list[torch.Tensor] = []
        for stage in self.stages:
            encs, decs = stage(x, earlier)
            for s in range(n_levels):
                earlier[s] = earlier[s] + [encs[s], decs[s]]
            x = decs[0]
            outs.append(x)
        y = self.head_hsa(self.head_fuse(torch.cat(outs, dim=1)))
        return self.final(y)


@register_model(
    "sfm",
    paper="SFM with HSA (seed 000)",
    paper_params_m=1.5,
    paper_gmacs=1.7,
    paper_coco_ap=71.7,
    paper_mpii_pckh=89.0,
)
def sfm(num_joints: int = 17) -> nn.Module:
    """SFM with HSA: 3 cascaded pyramids, dense same-scale fusion, 4 HSA modules."""
    return SFM(num_joints=num_joints)
