"""Lite-HRNet-18 and CBAM + Lite-HRNet-18 (seed 002).

Two registered networks:

* ``litehrnet18`` -- the baseline, Lite-HRNet-18 (Yu et al., "Lite-HRNet: A
  Lightweight High-Resolution Network", CVPR 2021; official code HRNet/Lite-HRNet,
  ``models/backbones/litehrnet.py`` with config
  ``configs/top_down/lite_hrnet/coco/litehrnet_18_coco_256x192.py``).
* ``litehrnet18-cbam`` -- seed 002 ("Light-HRNet with CBAM"): the same network,
  with a CBAM module (Woo et al., ECCV 2018) on every resolution branch as it is
  brought up to the output resolution; the attended branches are concatenated and
  fed to the final 1x1 layer (seed 002, Sec. III-B "Light-HRNet with CBAM Model"
  and Fig. 1; CBAM as in its Sec. III-C, eq. (1)-(2) and Fig. 2).

Input ``N x 3 x H x W`` (ImageNet-normalised RGB, 256x192 for COCO), output
``N x num_joints x H/4 x W/4`` heatmaps (64x48; 256x256 -> 64x64 for MPII). Fully
convolutional: no size is hard-coded (see "Resizing" below).

What each part implements
-------------------------
Section names are those of the Lite-HRNet paper: Sec. 3 "Naive Lite-HRNet" (stem,
shuffle blocks in the HRNet layout, Table 1 = network structure) and "Lite-HRNet"
(conditional channel weighting, Fig. 1(b): functions H and F).

* :class:`ConvModule` -- ``conv (no bias when followed by BN) -> BN -> act``, the
  unit the official code builds everything from (mmcv ``ConvModule``).
* :func:`cat_shuffle` -- concatenation followed by ShuffleNet's channel shuffle
  (2 groups), done as one constant channel gather (:func:`shuffle_perm`).
* :class:`Stem` -- "stem" of Table 1: ``3x3/2 conv`` + BN + ReLU to 32 channels
  (1/2 resolution), then one stride-2 shuffle block (1/4 resolution): split in two
  halves of 16; half 1: depthwise ``3x3/2`` + BN, ``1x1`` + BN + ReLU; half 2:
  ``1x1`` 16 -> 32 (expand ratio 1 of the 32 stem channels) + BN + ReLU, depthwise
  ``3x3/2`` + BN, ``1x1`` 32 -> 16 + BN + ReLU; concatenate, shuffle (official
  ``Stem`` with ``stem_channels=32, out_channels=32, expand_ratio=1``).
* :class:`CrossResolutionWeighting` -- the cross-resolution weighting function H:
  every branch is average-pooled to the lowest resolution, the pooled maps are
  concatenated (``C = sum C_s``), ``1x1 C -> int(C/8)`` + BN + ReLU, ``1x1 -> C``
  + BN + sigmoid (reduction 8 from the config), split back per branch,
  nearest-upsampled and multiplied onto each branch.
* :class:`SpatialWeighting` -- the spatial weighting function F: an SE unit per
  branch, global average pool, ``1x1 C -> C/4`` + ReLU, ``1x1 C/4 -> C`` + sigmoid
  (ratio 4 and conv biases as in the official code).
* :class:`ConditionalChannelWeighting` -- the conditional channel weighting block
  (Fig. 1(b)) that replaces the shuffle block's two 1x1 convs: split each branch in
  halves; half 2 goes through H (jointly over all branches), depthwise ``3x3`` +
  BN, then F; concatenate with half 1; channel shuffle.
* :class:`LiteHRModule` -- one module of Table 1: 2 conditional-channel-weighting
  blocks, then HRNet fusion (Sun et al. 2019, "exchange units"): output ``i`` =
  ReLU(sum over input branches ``j``), ``j > i``: ``1x1`` conv + BN, nearest
  upsample; ``j < i``: ``i - j`` steps of ``dw 3x3/2 + BN + 1x1 + BN`` (ReLU after
  all but the last step); ``j == i``: identity.
* :class:`IterativeHead` -- the official ``IterativeHead`` (config ``with_head``):
  from the lowest branch up, upsample the running map (bilinear,
  ``align_corners=True``) to the next branch, add, and apply a depthwise-separable
  ``3x3`` (dw conv + BN, pw conv + BN + ReLU), 320->160->80->40->40 channels. It
  yields maps at all four resolutions (40, 40, 80, 160 channels at 1/4 ... 1/32).
* :class:`LiteHRNetBackbone` -- Table 1, Lite-HRNet-18: stem; three stages with
  2/3/4 branches of 40/80/160/320 channels and (2, 4, 2) modules; the transition
  before each stage adds the new lowest branch (``dw 3x3/2 + BN + 1x1 + BN + ReLU``
  from the previous lowest branch) and adapts branch 0 from 32 to 40 channels
  (``dw 3x3 + BN + 1x1 + BN + ReLU``); every module outputs all branches; then the
  iterative head.
* :class:`SimpleHead` -- ``litehrnet18``'s final layer: ``1x1`` conv (with bias)
  40 -> ``num_joints`` on the 1/4 map (official ``TopDownSimpleHead`` with no
  deconvolutions and ``final_conv_kernel=1``).
* :class:`CBAM` -- Woo et al.: channel attention ``sigmoid(MLP(avgpool F) +
  MLP(maxpool F))`` with the MLP ``C -> C/16 -> C`` shared by both pooled vectors,
  then spatial attention ``sigmoid(BN(conv7x7([max_c F'; mean_c F'])))``; channel
  first, then spatial, each multiplied onto the features (the seed's eq. (2)
  misprints ``M_c`` for ``M_s``).
* :class:`CBAMFusionHead` -- ``litehrnet18-cbam``'s head, seed 002 Fig. 1 (below).

CBAM placement (seed 002) -- the choice made
---------------------------------------------
The seed says: "The output of each upsampling layer is extracted and passed
through a CBAM module ... The results of each attention block are concatenated and
input into the fully connected layer" (Fig. 1) and "I added CBAM modules before
the fully connected layer in each resolution of light-HRNet" (Sec. III-B). The
simplest design matching both, with Lite-HRNet-18 itself unchanged: take the
iterative head's output at each of the four resolutions (1/4: 40 ch, 1/8: 40 ch,
1/16: 80 ch, 1/32: 160 ch); bring each lower one up to 1/4 with one bilinear
upsampling (``align_corners=True``, the head's own mode) -- "the output of each
upsampling layer"; one CBAM per resolution (4 CBAMs; the 1/4 map needs no resize,
it is itself the output of the head's last upsample-and-add step); concatenate
(320 channels at 1/4); final layer = ``1x1`` conv 320 -> ``num_joints`` ("fully
connected layer" read as the per-pixel final layer, as in the baseline). CBAM
runs after the upsampling (as the seed says), so its spatial attention works at
the output resolution. This adds 9.8 k parameters and 15.8 M MACs to the
baseline, in line with the seed's "keeping the complexity relatively stable"; the
seed gives no figures, and its "a quarter of the parameters of the baseline"
(Sec. IV) is not reproducible and is ignored. The seed's 384x288 / 48-channel
variant is not built.

Other choices
-------------
* Figures: Lite-HRNet-18 at 256x192 has 1.1 M params and 205.2 M FLOPs (paper and
  official README; FLOPs = multiply-accumulates). Counted with
  :mod:`poseapp.nets.flops` (conv / linear MACs only): ``litehrnet18`` 1.131 M
  params / 0.1986 GMACs (+2.8 % / -3.2 %); ``litehrnet18-cbam`` 1.141 M / 0.2145
  GMACs (+3.7 % / +4.6 %). At 256x256 the baseline counts 0.2648 GMACs against the
  README's 273.4 M (MPII), the same -3 %: a counting-convention difference (the
  official figures come from a torchstat-based tool), not a structural one.
* Fusion sum: the official ``LiteHRModule.forward`` starts output 0 with ``y =
  out[0]`` and then adds in place (``y += out[0]``, ...), which aliases branch 0: it
  enters output 0 twice, and the other outputs then see (twice) the pre-ReLU fused
  output 0 instead of branch 0. Here the fusion is the plain sum the HRNet /
  Lite-HRNet papers describe (each branch once).
* Names: modules and parameters follow the official layout
  (``backbone.stem.conv1.conv.weight``, ``backbone.stage1.0.layers.0.
  cross_resolution_weighting.conv1.bn.weight``, ``backbone.head_layer.projects.0.
  depthwise_conv.conv.weight``, ``keypoint_head.final_layer.weight``), so official
  Lite-HRNet-18 checkpoints should load with ``load_state_dict`` (not verified
  against a real checkpoint); because of the fusion-sum difference their outputs
  would not match the official code exactly. The shuffle permutations are
  non-persistent buffers (not in the state dict).
* Resizing (all sizes from tensors): the cross-resolution pooling is
  ``avg_pool2d`` with kernel = stride = ``2**(n-1-i)``, ``ceil_mode=True`` (equal to
  the official ``adaptive_avg_pool2d`` whenever sizes divide, and still ends on the
  lowest branch's size for inputs that are not multiples of 32); upsampling is
  ``interpolate(size=<target>.shape[-2:])`` (official: ``scale_factor=2**(j-i)``,
  identical for multiples of 32); the nearest upsample-and-multiply / -add of H and
  of the fusion is done by broadcasting over ``k x k`` blocks when sizes divide
  (:func:`with_nearest_up`; same values, no upsampled copy). Global pooling is
  ``mean`` / ``amax`` over dims.
* ONNX export (TorchScript tracer, opset 17, dynamic batch): while tracing an input
  that is a multiple of 32, the upsamplings use ``scale_factor`` (a Resize with
  constant scales), the pooling drops ``ceil_mode`` and the nearest ops use Resize
  (other sizes export the eager resizing, which fits any size); the channel split is a slice
  with constant bounds and the shuffle a constant Gather. The graph therefore has
  no Shape/Gather/Concat shape arithmetic (1.7 k instead of 4.3 k nodes); in A/B
  runs ONNX Runtime was about 10 % faster for that and another ~10 % for the
  pooling without ``ceil_mode``. Values are identical for inputs that are
  multiples of 32 (256x192, 256x256); other sizes fail at export on a size mismatch
  instead of producing a wrong graph.
* CBAM details: hidden width ``max(C // 16, 1)`` (40 -> 2, 80 -> 5, 160 -> 10); the
  MLP is two 1x1 convs with bias (CBAM's Linear layers; 1x1 convs so the MAC
  counter sees them). ``MLP(avg) + MLP(max)`` is computed as ``W2 (relu(W1 avg +
  b1) + relu(W1 max + b1)) + b2``, i.e. the sum with its second bias counted once --
  an exact reparametrisation (``b2 = 2 b2_CBAM``) that runs the second conv once;
  avg and max vectors go through the first conv together (stacked along width).
  Spatial conv: ``7x7``, 2 -> 1 channels, padding 3, no bias, then BN(1).
* Initialisation: the official training-from-scratch init (``init_weights``):
  every conv weight ~ N(0, 0.001), conv biases 0, BN weight 1 / bias 0. One
  addition: the CBAM MLP's first bias starts at 0.1 instead of 0 (its inputs are
  pooled post-ReLU features, >= 0, so with bias 0 each of its 2-10 hidden units
  starts dead with probability ~1/2, and an all-dead MLP never trains).
* COCO AP / MPII PCKh: ``litehrnet18`` 64.8 AP on COCO val (paper, README). The
  Lite-HRNet paper's MPII figure for Lite-HRNet-18 could not be confirmed from the
  sources at hand (the official README lists 85.4 PCKh@0.5 on MPII val, 256x256),
  so ``paper_mpii_pckh`` is ``None``. ``litehrnet18-cbam``: 67.0 AP (seed Table I),
  87.1 PCKh@0.5 (seed Table II); its params / GMACs are registered as the
  baseline's 1.1 M / 0.205 G with a 25 % tolerance, since the seed gives none.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .registry import register_model

# Lite-HRNet-18 (official config litehrnet_18_coco_256x192.py).
STEM_CHANNELS = 32
STAGE_CHANNELS = ((40, 80), (40, 80, 160), (40, 80, 160, 320))
STAGE_MODULES = (2, 4, 2)
STAGE_BLOCKS = (2, 2, 2)
REDUCE_RATIO = 8
HEAD_CHANNELS = 40


def shuffle_perm(channels: int, groups: int = 2) -> torch.Tensor:
    """Channel order of ShuffleNet's shuffle: output ``g * k + t`` <- input ``t * (C/g) + k``."""
    return torch.arange(channels).reshape(groups, channels // groups).t().reshape(-1)


def cat_shuffle(a: torch.Tensor, b: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """``channel_shuffle(cat(a, b), 2)`` as a concat plus one constant channel gather.

    Equal to the usual ``reshape(-1, 2, C/2, H, W).transpose(1, 2).reshape(...)``;
    it needs no sizes (ONNX: Concat + Gather with a constant index, no shape ops,
    batch dynamic) and is faster on the CPU than reshape + transpose + copy.
    """
    return torch.cat((a, b), dim=1).index_select(1, perm)


def _exact(x: torch.Tensor, like: torch.Tensor, factor: int) -> bool:
    """Whether ``like``'s spatial size is exactly ``factor`` times ``x``'s (the traced input's sizes)."""
    return int(like.shape[-2]) == factor * int(x.shape[-2]) and int(like.shape[-1]) == factor * int(x.shape[-1])


def upsample(x: torch.Tensor, like: torch.Tensor, factor: int, mode: str) -> torch.Tensor:
    """Resize ``x`` to ``like``'s spatial size (``factor`` = the nominal ratio).

    Eager: ``interpolate(size=like.shape[-2:])`` (correct for any input size).
    While tracing for ONNX export, where ``like`` is exactly ``factor`` times ``x`` (every
    input that is a multiple of 32): ``interpolate(scale_factor=factor)``, which exports
    as a Resize with constant scales instead of a chain of Shape/Slice/Concat ops; other
    sizes (192x144: 4.5 x 32) export the eager form, slower but correct.
    """
    align = True if mode == "bilinear" else None
    if torch.jit.is_tracing() and _exact(x, like, factor):
        return F.interpolate(x, scale_factor=float(factor), mode=mode, align_corners=align)
    return F.interpolate(x, size=like.shape[-2:], mode=mode, align_corners=align)


def with_nearest_up(x: torch.Tensor, a: torch.Tensor, op, factor: int) -> torch.Tensor:
    """``op(x, nearest_upsample(a to x's size))`` without materialising the upsample.

    In eager PyTorch, when the sizes divide exactly (every input that is a multiple
    of 32), nearest upsampling by integer factors is block replication, so ``a`` is
    broadcast over ``kh x kw`` blocks of ``x`` in one elementwise op (PyTorch's CPU
    ``upsample_nearest2d`` copies its input and output and costs more than the op
    itself). Otherwise, and always while tracing for ONNX export (ONNX Runtime runs
    ``Resize`` far faster than the 6-D broadcast), it goes through :func:`upsample`.
    Both give identical values.
    """
    if not torch.jit.is_tracing():
        c, hh, ww = x.shape[1], x.shape[2], x.shape[3]
        h, w = a.shape[2], a.shape[3]
        if hh % h == 0 and ww % w == 0:
            kh, kw = hh // h, ww // w
            y = op(x.reshape(-1, c, h, kh, w, kw), a.reshape(-1, c, h, 1, w, 1))
            return y.reshape(-1, c, hh, ww)
    return op(x, upsample(a, x, factor, "nearest"))


class ConvModule(nn.Module):
    """``conv -> BN -> act`` (mmcv ``ConvModule`` names: ``conv``, ``bn``)."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int = 1,
        stride: int = 1,
        groups: int = 1,
        norm: bool = True,
        act: type[nn.Module] | None = nn.ReLU,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            in_ch, out_ch, kernel_size, stride, kernel_size // 2, groups=groups, bias=not norm
        )
        self.bn = nn.BatchNorm2d(out_ch) if norm else None
        self.act = act() if act is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.act is not None:
            x = self.act(x)
        return x


def dw_pw(in_ch: int, out_ch: int, stride: int, relu: bool) -> nn.Sequential:
    """``dw 3x3 (stride) + BN + 1x1 + BN [+ ReLU]`` (official transition / fusion)."""
    layers: list[nn.Module] = [
        nn.Conv2d(in_ch, in_ch, 3, stride, 1, groups=in_ch, bias=False),
        nn.BatchNorm2d(in_ch),
        nn.Conv2d(in_ch, out_ch, 1, bias=False),
        nn.BatchNorm2d(out_ch),
    ]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Stem(nn.Module):
    """``3x3/2`` conv to 32 channels, then a stride-2 shuffle block (1/4 resolution)."""

    def __init__(self, in_ch: int = 3, ch: int = STEM_CHANNELS) -> None:
        super().__init__()
        half = ch // 2
        self.out_channels = ch
        self.conv1 = ConvModule(in_ch, ch, 3, stride=2)
        self.branch1 = nn.Sequential(
            ConvModule(half, half, 3, stride=2, groups=half, act=None),
            ConvModule(half, half, 1),
        )
        mid = ch  # expand ratio 1: mid = round(stem_channels * 1)
        self.expand_conv = ConvModule(half, mid, 1)
        self.depthwise_conv = ConvModule(mid, mid, 3, stride=2, groups=mid, act=None)
        self.linear_conv = ConvModule(mid, half, 1)
        self.half = half
        self.register_buffer("perm", shuffle_perm(ch), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        x1, x2 = x[:, : self.half], x[:, self.half :]
        x2 = self.linear_conv(self.depthwise_conv(self.expand_conv(x2)))
        return cat_shuffle(self.branch1(x1), x2, self.perm)


class CrossResolutionWeighting(nn.Module):
    """Cross-resolution weighting function H (Lite-HRNet, conditional channel weighting)."""

    def __init__(self, channels: Sequence[int], ratio: int = REDUCE_RATIO) -> None:
        super().__init__()
        self.channels = list(channels)
        total = sum(channels)
        self.conv1 = ConvModule(total, int(total / ratio), 1)
        self.conv2 = ConvModule(int(total / ratio), total, 1, act=nn.Sigmoid)

    def forward(self, x: list[torch.Tensor]) -> list[torch.Tensor]:
        n = len(x)
        # ceil_mode makes odd sizes end on the lowest branch's size; ONNX Runtime's
        # AveragePool is much slower with it, so a traced graph uses it only for inputs
        # that are not multiples of 32 (the lowest branch's size times 2**(n-1) is not the top's).
        ceil = not torch.jit.is_tracing() or not _exact(x[-1], x[0], 2 ** (n - 1))
        pooled = [
            F.avg_pool2d(s, 2 ** (n - 1 - i), ceil_mode=ceil) if i < n - 1 else s
            for i, s in enumerate(x)
        ]
        w = self.conv2(self.conv1(torch.cat(pooled, dim=1)))
        ws = torch.split(w, self.channels, dim=1)
        return [
            with_nearest_up(s, a, torch.mul, 2 ** (n - 1 - i)) if i < n - 1 else s * a
            for i, (s, a) in enumerate(zip(x, ws))
        ]


class SpatialWeighting(nn.Module):
    """Spatial weighting function F (Lite-HRNet): an SE unit, ratio 4."""

    def __init__(self, channels: int, ratio: int = 4) -> None:
        super().__init__()
        self.conv1 = ConvModule(channels, int(channels / ratio), 1, norm=False)
        self.conv2 = ConvModule(int(channels / ratio), channels, 1, norm=False, act=nn.Sigmoid)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.conv2(self.conv1(x.mean(dim=(2, 3), keepdim=True)))


class ConditionalChannelWeighting(nn.Module):
    """Conditional channel weighting block (Lite-HRNet Fig. 1b)."""

    def __init__(self, channels: Sequence[int], reduce_ratio: int = REDUCE_RATIO) -> None:
        super().__init__()
        half = [c // 2 for c in channels]
        self.cross_resolution_weighting = CrossResolutionWeighting(half, reduce_ratio)
        self.depthwise_convs = nn.ModuleList(
            ConvModule(c, c, 3, groups=c, act=None) for c in half
        )
        self.spatial_weighting = nn.ModuleList(SpatialWeighting(c) for c in half)
        self.half = half
        for i, c in enumerate(channels):
            self.register_buffer(f"perm{i}", shuffle_perm(c), persistent=False)

    def forward(self, x: list[torch.Tensor]) -> list[torch.Tensor]:
        x1 = [s[:, :h] for s, h in zip(x, self.half)]
        x2 = self.cross_resolution_weighting([s[:, h:] for s, h in zip(x, self.half)])
        x2 = [sw(dw(s)) for s, dw, sw in zip(x2, self.depthwise_convs, self.spatial_weighting)]
        return [
            cat_shuffle(a, b, getattr(self, f"perm{i}")) for i, (a, b) in enumerate(zip(x1, x2))
        ]


class LiteHRModule(nn.Module):
    """Conditional-channel-weighting blocks followed by HRNet multi-resolution fusion."""

    def __init__(self, channels: Sequence[int], num_blocks: int, reduce_ratio: int) -> None:
        super().__init__()
        self.in_channels = list(channels)
        n = len(channels)
        self.layers = nn.Sequential(
            *(ConditionalChannelWeighting(channels, reduce_ratio) for _ in range(num_blocks))
        )
        fuse_layers = []
        for i in range(n):
            row: list[nn.Module | None] = []
            for j in range(n):
                if j > i:
                    row.append(
                        nn.Sequential(
                            nn.Conv2d(channels[j], channels[i], 1, bias=False),
                            nn.BatchNorm2d(channels[i]),
                        )
                    )
                elif j == i:
                    row.append(None)
                else:
                    steps = [
                        dw_pw(channels[j], channels[j], 2, relu=True) for _ in range(i - j - 1)
                    ]
                    steps.append(dw_pw(channels[j], channels[i], 2, relu=False))
                    row.append(nn.Sequential(*steps))
            fuse_layers.append(nn.ModuleList(row))
        self.fuse_layers = nn.ModuleList(fuse_layers)
        self.relu = nn.ReLU()

    def forward(self, x: list[torch.Tensor]) -> list[torch.Tensor]:
        out = self.layers(x)
        fused = []
        for i, row in enumerate(self.fuse_layers):
            y = out[i]
            for j, layer in enumerate(row):
                if j == i:
                    continue
                z = layer(out[j])
                y = with_nearest_up(y, z, torch.add, 2 ** (j - i)) if j > i else y + z
            fused.append(self.relu(y))
        return fused


class DepthwiseSeparableConv(nn.Module):
    """``dw 3x3 + BN`` then ``pw 1x1 + BN + ReLU`` (mmcv names)."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.depthwise_conv = ConvModule(in_ch, in_ch, 3, groups=in_ch, act=None)
        self.pointwise_conv = ConvModule(in_ch, out_ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise_conv(self.depthwise_conv(x))


class IterativeHead(nn.Module):
    """Official iterative head: low to high, upsample + add + dw-separable 3x3."""

    def __init__(self, in_channels: Sequence[int]) -> None:
        super().__init__()
        rev = list(in_channels)[::-1]
        outs = rev[1:] + rev[-1:]
        self.projects = nn.ModuleList(DepthwiseSeparableConv(i, o) for i, o in zip(rev, outs))
        self.out_channels = outs[::-1]

    def forward(self, x: list[torch.Tensor]) -> list[torch.Tensor]:
        ys = []
        last = None
        for s, proj in zip(x[::-1], self.projects):
            if last is not None:
                s = s + upsample(last, s, 2, "bilinear")
            last = proj(s)
            ys.append(last)
        return ys[::-1]


class LiteHRNetBackbone(nn.Module):
    """Lite-HRNet-18: stem, three stages, iterative head; returns the head's maps at
    1/4, 1/8, 1/16, 1/32 (40, 40, 80, 160 channels)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = Stem(3, STEM_CHANNELS)
        prev = [STEM_CHANNELS]
        for s, chans in enumerate(STAGE_CHANNELS):
            setattr(self, f"transition{s}", self._transition(prev, list(chans)))
            stage = nn.Sequential(
                *(
                    LiteHRModule(chans, STAGE_BLOCKS[s], REDUCE_RATIO)
                    for _ in range(STAGE_MODULES[s])
                )
            )
            setattr(self, f"stage{s}", stage)
            prev = list(chans)
        self.num_stages = len(STAGE_CHANNELS)
        self.head_layer = IterativeHead(prev)
        self.out_channels = self.head_layer.out_channels

    @staticmethod
    def _transition(prev: list[int], cur: list[int]) -> nn.ModuleList:
        layers: list[nn.Module | None] = []
        for i, c in enumerate(cur):
            if i < len(prev):
                layers.append(dw_pw(prev[i], c, 1, relu=True) if prev[i] != c else None)
            else:
                # New branches come from the previous lowest branch, one stride-2 step
                # per new level (only one new level per stage here).
                steps = []
                for k in range(i + 1 - len(prev)):
                    out_c = c if k == i - len(prev) else prev[-1]
                    steps.append(dw_pw(prev[-1], out_c, 2, relu=True))
                layers.append(nn.Sequential(*steps))
        return nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        ys = [self.stem(x)]
        for s in range(self.num_stages):
            transition = getattr(self, f"transition{s}")
            xs = []
            for j, t in enumerate(transition):
                src = ys[j] if j < len(ys) else ys[-1]
                xs.append(t(src) if t is not None else src)
            ys = getattr(self, f"stage{s}")(xs)
        return self.head_layer(ys)


class CBAM(nn.Module):
    """Convolutional block attention module (Woo et al. 2018): channel then spatial."""

    def __init__(self, channels: int, reduction: int = 16, kernel_size: int = 7) -> None:
        super().__init__()
        hidden = max(channels // reduction, 1)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)
        self.spatial = nn.Sequential(
            nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Channel attention F' = M_c(F) * F: the shared MLP on the avg- and max-pooled
        # vectors (stacked along width so the first conv runs once), summed before
        # the second conv.
        pooled = torch.cat(
            (x.mean(dim=(2, 3), keepdim=True), x.amax(dim=(2, 3), keepdim=True)), dim=3
        )
        h = F.relu(self.fc1(pooled)).sum(dim=3, keepdim=True)
        x = x * torch.sigmoid(self.fc2(h))
        # Spatial attention F'' = M_s(F') * F', M_s = sigmoid(BN(conv7x7([max_c; mean_c]))).
        s = torch.cat((x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)), dim=1)
        return x * torch.sigmoid(self.spatial(s))


class CBAMFusionHead(nn.Module):
    """Seed 002 Fig. 1: each resolution brought up to 1/4, a CBAM on each,
    concatenation, final ``1x1`` conv (with bias) to ``num_joints``."""

    def __init__(self, in_channels: Sequence[int], num_joints: int) -> None:
        super().__init__()
        self.cbams = nn.ModuleList(CBAM(c) for c in in_channels)
        self.final_layer = nn.Conv2d(sum(in_channels), num_joints, 1)

    def forward(self, x: list[torch.Tensor]) -> torch.Tensor:
        ups = [x[0]] + [upsample(s, x[0], 2**k, "bilinear") for k, s in enumerate(x[1:], 1)]
        return self.final_layer(torch.cat([cbam(s) for s, cbam in zip(ups, self.cbams)], dim=1))


class SimpleHead(nn.Module):
    """Baseline head: ``1x1`` conv (with bias) on the 1/4-resolution map."""

    def __init__(self, in_channels: int, num_joints: int) -> None:
        super().__init__()
        self.final_layer = nn.Conv2d(in_channels, num_joints, 1)

    def forward(self, x: list[torch.Tensor]) -> torch.Tensor:
        return self.final_layer(x[0])


class LiteHRNetPose(nn.Module):
    """Lite-HRNet-18 (with its iterative head), then the baseline or the CBAM head."""

    def __init__(self, num_joints: int = 17, cbam: bool = False) -> None:
        super().__init__()
        self.backbone = LiteHRNetBackbone()
        if cbam:
            self.keypoint_head: nn.Module = CBAMFusionHead(self.backbone.out_channels, num_joints)
        else:
            self.keypoint_head = SimpleHead(HEAD_CHANNELS, num_joints)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=0.001)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for m in self.modules():
            if isinstance(m, CBAM):
                # Keep every hidden unit of the tiny CBAM MLP (2-10 units) alive at init:
                # its inputs are pooled post-ReLU features (>= 0), so with a zero bias
                # each unit starts dead with probability ~1/2, and a CBAM whose units
                # are all dead never trains its MLP.
                nn.init.constant_(m.fc1.bias, 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.keypoint_head(self.backbone(x))


@register_model(
    "litehrnet18-cbam",
    paper="CBAM + Lite-HRNet (seed 002)",
    paper_params_m=1.1,
    paper_gmacs=0.205,
    tolerance=0.25,
    paper_coco_ap=67.0,
    paper_mpii_pckh=87.1,
)
def litehrnet18_cbam(num_joints: int = 17) -> nn.Module:
    """Lite-HRNet-18 with a CBAM per upsampled resolution, concatenated (seed 002)."""
    return LiteHRNetPose(num_joints=num_joints, cbam=True)


@register_model(
    "litehrnet18",
    paper="Lite-HRNet (Yu et al., CVPR 2021), Lite-HRNet-18",
    paper_params_m=1.1,
    paper_gmacs=0.205,
    paper_coco_ap=64.8,
    paper_mpii_pckh=None,
)
def litehrnet18(num_joints: int = 17) -> nn.Module:
    """Lite-HRNet-18, the seed-002 baseline."""
    return LiteHRNetPose(num_joints=num_joints, cbam=False)
