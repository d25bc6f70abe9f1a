"""Training recipes as data: a YAML file parsed into dataclasses.

Every key of a config file must be a field below (unknown keys are errors, with
a suggestion), every value must have the field's type. ``--set a.b=value``
overrides any key (values are YAML: ``--set data.input_hw=[128,96]``).
"""
from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..defaults import DECODERS
from ..errors import PoseappError


class ConfigError(PoseappError):
    """A config file or ``--set`` override that does not fit the schema."""


@dataclass
class SourceConfig:
    """One annotation file; relative paths are under ``data.root``."""

    type: str = "coco"  # a registered source: coco | mpii | ...
    ann: str = ""
    images: str = ""
    boxes: str = "gt"  # "gt" or a detection-results JSON (evaluation)
    det_score_threshold: float = 0.0
    headboxes: str | None = None  # MPII: official mpii_gt_val.mat for PCKh head sizes
    limit: int | None = None  # use the first N persons only (smoke tests, overfitting)
    repeat: int = 1  # training: list this source's persons N times per epoch (weights a small set up)


@dataclass
class DataConfig:
    root: str = "data/coco"
    layout: str = "coco"  # keypoint layout the network predicts: coco (17) | mpii (16)
    train: list[SourceConfig] = field(default_factory=list)
    val: SourceConfig | None = None
    input_hw: tuple[int, int] = (256, 192)  # network input; heatmaps are input / 4
    sigma: float = 2.0  # Gaussian target sigma in heatmap pixels
    box_scale: float = 1.25  # box -> crop enlargement
    workers: int = 4  # DataLoader worker processes per rank
    cache_images: bool = False  # decode every training image once, keep it in memory (small sets, few cores)


@dataclass
class AugmentConfig:
    """Per-recipe ranges (HRNet ``JointsDataset`` / mmpose ``TopDown*`` transforms)."""

    enabled: bool = True
    flip: bool = True  # horizontal flip with left/right joint swap, p = 0.5
    scale_range: tuple[float, float] = (0.65, 1.35)
    rotation_deg: float = 45.0
    rotation_prob: float = 0.6
    sampling: str = "normal"  # normal: clip(1 + N*sf), clip(N*rf, +-2rf) (HRNet); uniform: U(range), U(+-deg)
    half_body_prob: float = 0.3  # 0 = off
    half_body_min_joints: int = 8  # needs more than this many labelled joints
    half_body_scale: float = 1.5
    shift: float = 0.0  # truncation: the crop centre moves by U(-shift, shift) x the crop size on each axis
    # pixel augmentation (appearance.py); 0 = off
    occlusion_prob: float = 0.0  # paste patches of other training images over the crop
    occlusion_max: int = 2  # 1..N patches
    occlusion_size: tuple[float, float] = (0.15, 0.4)  # patch side as a fraction of the crop side
    erase_prob: float = 0.0  # random erasing: one noise rectangle of 2-20% of the crop
    color_prob: float = 0.0  # brightness / contrast / saturation / hue jitter
    blur_prob: float = 0.0  # Gaussian or motion blur


@dataclass
class LossConfig:
    type: str = "mse"  # mse | ohkm
    topk: int = 8  # OHKM: hardest joints kept per person
    use_target_weight: bool = True
    foreground_weight: float = 1.0  # >1: Gaussian peaks weigh up to this many background pixels (see losses.py)


@dataclass
class OptimConfig:
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    schedule: str = "multistep"  # multistep | linear (to 0 at the end) | constant
    milestones: list[int] = field(default_factory=lambda: [170, 200])  # epochs (multistep)
    gamma: float = 0.1
    warmup_iters: int = 0
    warmup_ratio: float = 0.001


@dataclass
class TrainConfig:
    epochs: int = 210
    batch_size: int = 128  # global: split evenly over the torchrun processes
    precision: str = "auto"  # auto (fp16 autocast on CUDA, fp32 on CPU) | fp32 | fp16 | bf16
    compile: bool = False  # torch.compile the training forward (validation, EMA and checkpoints use the plain module)
    channels_last: bool = True
    seed: int = 0
    out_dir: str = ""  # default runs/<config name>
    log_every: int = 50  # steps
    val_every: int = 1  # epochs; 0 = never
    run_epochs: int | None = None  # stop after this many epochs in this run (resume later)
    progress: bool = True
    sync_bn: bool = False
    threads: int = 0  # torch CPU threads (0 = torch's default)
    device: str = "auto"  # auto | cpu | cuda
    ema_decay: float = 0.0  # >0: validate and save an exponential moving average of the weights (ema.py)
    precise_bn: int = 0  # before each validation/checkpoint: re-estimate BatchNorm statistics over N batches
    init: str | None = None  # start from these weights (any input size: e.g. a 128x96 run fine-tuned at 256x192)


@dataclass
class TeacherConfig:
    """A MoveNet teacher for what the labels lack, and a distillation term (``teacher.py``, ``topdown.py``).

    The teacher runs once per training person (cached in ``cache_dir``). With
    ``fill`` every unlabelled joint whose teacher score is at least ``min_score``
    becomes a target at the teacher's keypoint, weighted by that score (LSP's
    face joints, COCO's unlabelled ones). With ``kd_weight`` > 0 the loss adds
    ``kd_weight`` x the heatmap loss against Gaussians at all the teacher's
    keypoints, each joint weighted by the teacher's score.
    """

    name: str | None = None  # thunder | lightning | a MoveNet .onnx/.tflite file; None = ground truth only
    shared_data: str = "../shared/data"  # where teachers/ is (for the names)
    cache_dir: str = "runs/teacher"
    fill: bool = True
    min_score: float = 0.3
    kd_weight: float = 0.0


@dataclass
class EvalConfig:
    flip_test: bool = True
    decoder: str = "argmax"  # one of poseapp.defaults.DECODERS
    batch_size: int = 64
    box_scale: float | None = None  # crop = box x this; None: the weights' own (their RunSpec, as the app runs them)
    rescore_threshold: float = 0.2  # box score x mean keypoint score above this
    oks_nms: float = 0.9


@dataclass
class PaperTarget:
    """The figure this recipe should reproduce, and where it is from."""

    source: str = ""
    metric: str = ""  # "AP" (COCO val2017) or "PCKh@0.5" (MPII val)
    value: float | None = None
    split: str = ""
    notes: str = ""


@dataclass
class Config:
    model: str = ""
    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    paper: PaperTarget = field(default_factory=PaperTarget)
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


CHOICES: dict[str, tuple[str, ...]] = {
    "augment.sampling": ("normal", "uniform"),
    "loss.type": ("mse", "ohkm"),
    "optim.optimizer": ("adam", "adamw"),
    "optim.schedule": ("multistep", "linear", "constant"),
    "train.precision": ("auto", "fp32", "fp16", "bf16"),
    "train.device": ("auto", "cpu", "cuda"),
    "eval.decoder": DECODERS,
}


# ------------------------------------------------------------------ parsing
def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp).replace("typing.", ""))


def _convert(value: Any, tp: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(value, inner[0], key)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"config key {key!r} must be a mapping, got {value!r}")
        return _build(tp, value, key + ".")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config key {key!r} must be a list, got {value!r}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise ConfigError(f"config key {key!r} must have {len(args)} values, got {list(value)!r}")
            return tuple(_convert(v, a, f"{key}.{i}") for i, (v, a) in enumerate(zip(value, args)))
        elem = args[0] if args else Any
        seq = [_convert(v, elem, f"{key}.{i}") for i, v in enumerate(value)]
        return tuple(seq) if origin is tuple else seq
    if tp is Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"config key {key!r} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"config key {key!r} must be an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, str):  # YAML 1.1 reads 2e-3 (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"config key {key!r} must be a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"config key {key!r} must be a string, got {value!r}")
        return str(value)
    raise ConfigError(f"config key {key!r}: unsupported type {_type_name(tp)}")


def _build(cls: type, raw: dict, prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for key in raw:
        if key not in hints:
            near = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean {prefix + near[0]!r}?)" if near else f"; valid keys: {', '.join(prefix + n for n in names)}"
            raise ConfigError(f"unknown config key {prefix + str(key)!r}{hint}")
    kwargs = {k: _convert(v, hints[k], prefix + k) for k, v in raw.items()}
    obj = cls(**kwargs)
    for f in dataclasses.fields(cls):
        full = prefix + f.name
        if full in CHOICES and getattr(obj, f.name) not in CHOICES[full]:
            raise ConfigError(f"config key {full!r} is {getattr(obj, f.name)!r}; choose one of: {', '.join(CHOICES[full])}")
    return obj


def apply_override(raw: dict, assignment: str) -> None:
    """Apply ``a.b.c=value`` (value parsed as YAML) to a raw config dict."""
    if "=" not in assignment:
        raise ConfigError(f"--set {assignment!r}: expected key=value, e.g. --set train.epochs=10")
    key, text = assignment.split("=", 1)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ConfigError(f"--set {assignment!r}: empty key")
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        value = text
    node: Any = raw
    for i, p in enumerate(parts[:-1]):
        if isinstance(node, list):
            if not p.isdigit() or int(p) >= len(node):
                raise ConfigError(f"--set {key}: {'.'.join(parts[: i + 1])!r} is not an index of the list")
            node = node[int(p)]
            continue
        if node.get(p) is None:
            node[p] = {}
        node = node[p]
        if not isinstance(node, (dict, list)):
            raise ConfigError(f"--set {key}: {'.'.join(parts[: i + 1])!r} is not a section")
    last = parts[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise ConfigError(f"--set {key}: {last!r} is not an index of the list")
        node[int(last)] = value
    else:
        node[last] = value


def parse_config(raw: dict, name: str = "") -> Config:
    if not isinstance(raw, dict):
        raise ConfigError("a config file must be a YAML mapping (model:, data:, train: ...)")
    cfg = _build(Config, raw)
    if not cfg.model:
        raise ConfigError("config key 'model' is missing: name a registered network (see 'poseapp models')")
    from ..nets import get_spec

    get_spec(cfg.model)  # unknown model -> one-line error
    if not cfg.name:
        cfg.name = name or cfg.model
    h, w = cfg.data.input_hw
    if h < 32 or w < 32 or h % 4 or w % 4:
        raise ConfigError(f"data.input_hw {h}x{w}: both sides must be multiples of 4 and at least 32")
    lo, hi = cfg.augment.scale_range
    if not 0 < lo <= hi:
        raise ConfigError(f"augment.scale_range {[lo, hi]}: need 0 < low <= high")
    if cfg.train.batch_size < 1 or cfg.train.epochs < 1:
        raise ConfigError("train.batch_size and train.epochs must be at least 1")
    if cfg.teacher.kd_weight < 0 or not 0 <= cfg.teacher.min_score <= 1:
        raise ConfigError("teacher.kd_weight must be >= 0 and teacher.min_score within 0-1")
    if cfg.loss.type == "ohkm" and cfg.loss.topk < 1:
        raise ConfigError("loss.topk must be at least 1")
    return cfg


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Read a YAML recipe, apply ``key=value`` overrides and check it against the schema."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} not found (see training/configs/)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "syntax error"
        raise ConfigError(f"config file {path} is not valid YAML ({first})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {path} must be a YAML mapping (model:, data:, train: ...)")
    for assignment in overrides:
        apply_override(raw, assignment)
    return parse_config(raw, name=path.stem)
