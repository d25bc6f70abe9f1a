"""The training loop: one recipe, one process or a ``torchrun`` group.

Per the papers' common protocol (SimpleBaseline/HRNet), with each recipe's
optimiser and schedule (``schedule.py``): Adam, heatmap loss with target weights
(``losses.py``), an epoch over the augmented top-down training set, validation
(COCO AP / MPII PCKh with flip test) every ``val_every`` epochs, ``last.pt``
every epoch and ``best.pt`` on a better validation figure.

Speed: mixed precision (fp16 autocast + GradScaler on CUDA; bf16 autocast on
the CPU when asked for: ``train.precision=bf16``, on a CPU with bf16 instructions; elsewhere fp32 with a
note), channels-last tensors,
DataLoader worker processes, and ``train.compile`` (``torch.compile`` of the
training forward only: validation, the weight average and the checkpoints use
the plain module, so a compiled run saves the same files as an eager one).
Scale-out: ``torchrun --nproc_per_node N`` (DistributedDataParallel,
DistributedSampler, the global ``train.batch_size`` split over the ranks).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
import torch.nn as nn
import yaml
from torch.utils.data import DataLoader, RandomSampler
from torch.utils.data.distributed import DistributedSampler

from ..cpuinfo import bf16_native, cpu_name
from ..errors import PoseappError
from ..nets import create_model
from .checkpoint import BEST, LAST, load_training_state, save_best, save_training_state
from .config import Config, EvalConfig, SourceConfig
from .datasets import PoseSource, SourceSpec, TopDownDataset, build_source
from .ema import WeightEMA
from .distributed import DistInfo, barrier, broadcast_float, cleanup, init_distributed, mean_over_ranks
from .evaluation import DeviceRunner, EvalResult, evaluate_source
from .layouts import get_layout
from .losses import JointsMSELoss, build_loss
from .runlog import RunLog
from .schedule import build_optimizer, build_scheduler


@dataclass
class TrainResult:
    out_dir: Path
    epoch: int  # epochs completed (the counter a resume continues from)
    global_step: int
    best_metric: float | None
    last_metric: float | None
    history: list[dict] = field(default_factory=list)
    is_main: bool = True  # rank 0 (the process that logs and writes checkpoints)


def resolve_path(root: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else root / p


def source_spec(sc: SourceConfig, root: Path) -> SourceSpec:
    if not sc.ann or not sc.images:
        raise PoseappError("every data source needs 'ann' (annotation file) and 'images' (image folder)")
    boxes = sc.boxes if sc.boxes == "gt" else str(resolve_path(root, sc.boxes))
    return SourceSpec(
        type=sc.type, ann=resolve_path(root, sc.ann), images=resolve_path(root, sc.images), boxes=boxes,
        det_score_threshold=sc.det_score_threshold,
        headboxes=resolve_path(root, sc.headboxes) if sc.headboxes else None, limit=sc.limit,
    )


def cpu_bf16_native(cpuinfo: str | None = None) -> bool | None:
    """Whether this CPU does bf16 arithmetic in hardware (x86 ``avx512_bf16`` or ``amx_bf16``, Arm ``bf16``),
    read from ``/proc/cpuinfo`` (``poseapp.cpuinfo``); None where that cannot be read (not Linux), so the
    recipe is trusted. Without it bf16 autocast is emulated: measured 35 s a step for sfm (batch 32, 128x96)
    on a 2-core AVX2 AMD EPYC, where fp32 took 2.1 s."""
    return bf16_native(cpuinfo)


def amp_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of ``train.precision`` on ``device`` (None = fp32)."""
    if precision == "auto":
        # CPU: fp32. bf16 autocast (train.precision=bf16) measured no faster on a 2-core AVX512-BF16/AMX
        # Xeon with torch 2.14: sfm -10..-20%, litehrnet18-cbam -35%, lpn50 +-0, danet72 +-10%.
        return torch.float16 if device.type == "cuda" else None
    if precision == "fp16":
        if device.type != "cuda":
            raise PoseappError("train.precision fp16 needs CUDA; use bf16 (or auto) on the CPU")
        return torch.float16
    if precision == "bf16":
        return torch.bfloat16
    return None


class Trainer:
    """Build everything a recipe names, then ``fit()``."""

    def __init__(self, cfg: Config, resume: bool = False) -> None:
        self.cfg = cfg
        self.resume = resume
        self.dist: DistInfo = init_distributed(cfg.train.device)
        self.layout = get_layout(cfg.data.layout)
        self.input_hw = tuple(cfg.data.input_hw)
        self.out_dir = Path(cfg.train.out_dir or f"runs/{cfg.name}")
        self.log = RunLog(self.out_dir / "log.jsonl" if self.dist.is_main else None,
                          echo=self.dist.is_main)
        if cfg.train.threads > 0:
            torch.set_num_threads(cfg.train.threads)
        if self.dist.is_main and not resume and (self.out_dir / LAST).exists():
            raise PoseappError(
                f"{self.out_dir} already holds a run ({LAST}): pass --resume to continue it, or set train.out_dir"
            )
        root = Path(cfg.data.root).expanduser()
        self.train_sources = [build_source(source_spec(s, root)) for s in cfg.data.train]
        for sc in cfg.data.train:
            if sc.repeat < 1:
                raise PoseappError(f"data.train source {sc.ann}: repeat must be at least 1, got {sc.repeat}")
        if not self.train_sources:
            raise PoseappError("the config names no training data (data.train is empty)")
        for src in self.train_sources:
            if src.layout.name != self.layout.name:
                raise PoseappError(
                    f"training source {src.name} has {src.layout.name} joints but data.layout is {self.layout.name}"
                )
        self.val_source: PoseSource | None = build_source(source_spec(cfg.data.val, root)) if cfg.data.val else None
        if self.val_source is not None and self.val_source.layout.name != self.layout.name:
            raise PoseappError(f"validation source has {self.val_source.layout.name} joints, data.layout is {self.layout.name}")

        torch.manual_seed(cfg.train.seed)
        self.model = create_model(cfg.model, num_joints=self.layout.num_joints)
        if cfg.train.init and not resume:
            from ..runtime import load_weights

            load_weights(self.model, Path(cfg.train.init).expanduser(), cfg.model)
        self.hm_hw = self._heatmap_hw()
        self.amp_dtype = amp_dtype(cfg.train.precision, self.dist.device)
        self.precision_note = None
        if self.amp_dtype is torch.bfloat16 and self.dist.device.type == "cpu" and cpu_bf16_native() is False:
            self.amp_dtype = None
            self.precision_note = ("train.precision bf16 asks for bf16 autocast, but this CPU has no bf16 "
                                   "instructions (emulated it runs many times slower): training in fp32")
        memory = torch.channels_last if cfg.train.channels_last else torch.contiguous_format
        self.model = self.model.to(self.dist.device, memory_format=memory)
        self.ddp: nn.Module = self.model
        if self.dist.distributed:
            if cfg.train.sync_bn:
                self.model = nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
            ids = [self.dist.device.index] if self.dist.device.type == "cuda" else None
            self.ddp = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        # what the training step calls: compiled lazily on its first batch (train.compile)
        self.forward: nn.Module = torch.compile(self.ddp) if cfg.train.compile else self.ddp

        world = self.dist.world_size
        if cfg.train.batch_size % world:
            raise PoseappError(f"train.batch_size {cfg.train.batch_size} does not split over {world} processes")
        self.per_rank_batch = cfg.train.batch_size // world
        if cfg.teacher.name:
            self._attach_teacher()
        samples = [s for src, sc in zip(self.train_sources, cfg.data.train) for _ in range(sc.repeat) for s in src.samples]
        self.dataset = TopDownDataset(samples, self.layout, self.input_hw, self.hm_hw, cfg.augment,
                                      cfg.data.box_scale, cfg.data.sigma, cfg.train.seed, cfg.teacher)
        if cfg.data.cache_images:
            held = self.dataset.cache_images(progress=self.dist.is_main and cfg.train.progress)
            self.log.write("cache", f"cached the training images in memory: {held / 2**30:.2f} GiB", bytes=held)
        drop_last = len(self.dataset) >= cfg.train.batch_size
        if self.dist.distributed:
            self.sampler = DistributedSampler(self.dataset, world, self.dist.rank, shuffle=True,
                                              seed=cfg.train.seed, drop_last=drop_last)
        else:
            self.generator = torch.Generator()
            self.sampler = RandomSampler(self.dataset, generator=self.generator)
        self.loader = DataLoader(
            self.dataset, batch_size=self.per_rank_batch, sampler=self.sampler, num_workers=cfg.data.workers,
            pin_memory=self.dist.device.type == "cuda", drop_last=drop_last, persistent_workers=False,
        )
        if len(self.loader) == 0:
            raise PoseappError("the training set is smaller than one batch: lower train.batch_size")
        self.criterion = build_loss(cfg.loss)
        self.kd_criterion = JointsMSELoss(use_target_weight=True) if cfg.teacher.name and cfg.teacher.kd_weight > 0 else None
        self.optimizer = build_optimizer(self.model.parameters(), cfg.optim)
        self.scheduler = build_scheduler(self.optimizer, cfg.optim, len(self.loader), cfg.train.epochs)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.ema = WeightEMA(self.model, cfg.train.ema_decay) if cfg.train.ema_decay > 0 else None
        self.epoch = 0
        self.global_step = 0
        self.best: float | None = None
        self.history: list[dict] = []
        if resume:
            self._load_resume()

    # ------------------------------------------------------------ setup
    def _attach_teacher(self) -> None:
        """Give every training person its teacher keypoints (run once, then read from the cache)."""
        from .teacher import load_teacher
        from .teacher_cache import cached_teacher_keypoints

        t = self.cfg.teacher
        if self.layout.name != "coco":
            raise PoseappError("teacher.name: the MoveNet teachers predict COCO-17 joints; data.layout must be coco")
        teacher = load_teacher(t.name, t.shared_data, threads=max(1, self.cfg.train.threads))
        for src in self.train_sources:
            t0 = time.perf_counter()
            values, ran = cached_teacher_keypoints(teacher, src.samples, t.cache_dir,
                                                   progress=self.dist.is_main and self.cfg.train.progress)
            for sample, v in zip(src.samples, values):
                sample.teacher = v
            filled = sum(int(((s.visible <= 0) & (s.teacher[:, 2] >= t.min_score)).sum()) for s in src.samples)
            self.log.write("teacher", f"teacher {teacher.name} on {src.name}: {len(src.samples)} persons "
                           f"({ran} run now, {time.perf_counter() - t0:.0f} s), {filled} unlabelled joints at score "
                           f">= {t.min_score}", source=src.name, persons=len(src.samples), ran=ran, fill_joints=filled)

    def _heatmap_hw(self) -> tuple[int, int]:
        """The network's output size at the configured input (input / 4 for every model here)."""
        was = self.model.training
        self.model.eval()
        with torch.no_grad():
            out = self.model(torch.zeros(1, 3, *self.input_hw))
        self.model.train(was)
        return int(out.shape[2]), int(out.shape[3])

    def _meta(self) -> dict:
        from ..codecs import HeatmapCodec, RunSpec

        d, e = self.cfg.data, self.cfg.eval
        codec = HeatmapCodec(stride=self.input_hw[0] // self.hm_hw[0], sigma=d.sigma, decoder=e.decoder,
                             flip_test=e.flip_test)  # how this recipe validates: how the checkpoint runs
        spec = RunSpec(self.cfg.model, self.input_hw, self.layout.num_joints, self.layout.name, self.layout.flip_pairs,
                       box_scale=e.box_scale or d.box_scale, codec=codec)
        return {
            "num_joints": self.layout.num_joints,
            "input_hw": list(self.input_hw),
            "layout": self.layout.name,
            "config_name": self.cfg.name,
            "run_spec": spec.to_dict(),
        }

    def _load_resume(self) -> None:
        ckpt = load_training_state(self.out_dir, self.cfg.model, self.layout.num_joints)
        self.model.load_state_dict(ckpt["state_dict"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.scheduler.load_state_dict(ckpt["scheduler"])
        if ckpt.get("scaler"):
            self.scaler.load_state_dict(ckpt["scaler"])
        if self.ema is not None and ckpt.get("ema"):
            self.ema.load_state_dict(ckpt["ema"])
        self.epoch = int(ckpt["epoch"])
        self.global_step = int(ckpt["global_step"])
        self.best = ckpt.get("best_metric")
        self.history = list(ckpt.get("history", []))
        self.log.write("resume", f"resumed {self.out_dir / LAST}: epoch {self.epoch}, step {self.global_step}, "
                       f"lr {self.optimizer.param_groups[0]['lr']:.3g}", epoch=self.epoch, step=self.global_step)

    # ------------------------------------------------------------ loop
    def fit(self) -> TrainResult:
        cfg = self.cfg
        end = cfg.train.epochs if cfg.train.run_epochs is None else min(cfg.train.epochs, self.epoch + cfg.train.run_epochs)
        if self.dist.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            (self.out_dir / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False), encoding="utf-8")
            if self.precision_note:
                self.log.write("precision", f"note: {self.precision_note}", asked=cfg.train.precision, used="fp32")
            prec = {None: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}[self.amp_dtype]
            how = prec + (" compiled" if cfg.train.compile else "")
            self.log.write(
                "start",
                f"training {cfg.model} on {len(self.dataset)} persons ({self.layout.name}, input "
                f"{self.input_hw[0]}x{self.input_hw[1]}, heatmaps {self.hm_hw[0]}x{self.hm_hw[1]}), "
                f"{self.dist.world_size} process(es) on {self.dist.device.type}, {how}, batch {cfg.train.batch_size}, "
                f"{len(self.loader)} steps/epoch, epochs {self.epoch + 1}-{end} of {cfg.train.epochs}",
                model=cfg.model, persons=len(self.dataset), world_size=self.dist.world_size,
                device=str(self.dist.device), precision=prec, compiled=cfg.train.compile,
                steps_per_epoch=len(self.loader), cpu=cpu_name(),
            )
        last_metric = None
        try:
            while self.epoch < end:
                stats = self._train_epoch()
                if self.ema is not None:
                    self.ema.materialize(self.model)
                if cfg.train.precise_bn > 0:
                    self._precise_bn(self.eval_model, cfg.train.precise_bn)
                metric = self._validate() if self._should_validate() else None
                last_metric = metric if metric is not None else last_metric
                self.epoch += 1
                # ties go to the later epoch (more training): a flat 0.0 early on must not pin best.pt to epoch 1
                improved = metric is not None and (self.best is None or metric >= self.best)
                if improved:
                    self.best = metric
                record = {"epoch": self.epoch, **stats, "metric": metric, "best": self.best}
                self.history.append(record)
                if self.dist.is_main:
                    self._save(improved, metric)
                    shown = f", val {self._metric_name()} {metric:.4f}" if metric is not None else ""
                    self.log.write("epoch", f"epoch {self.epoch}/{cfg.train.epochs}: loss {stats['loss']:.6f}, "
                                   f"lr {stats['lr']:.3g}, {stats['samples_per_s']:.1f} samples/s, "
                                   f"{stats['seconds']:.1f} s{shown}", **record)
                barrier(self.dist)
        finally:
            cleanup(self.dist)
        return TrainResult(self.out_dir, self.epoch, self.global_step, self.best, last_metric, self.history,
                           self.dist.is_main)

    @property
    def eval_model(self) -> nn.Module:
        """What validation scores and ``best.pt`` holds: the weight average when ``train.ema_decay`` is on."""
        return self.ema.module if self.ema is not None else self.model

    @torch.no_grad()
    def _precise_bn(self, model: nn.Module, batches: int) -> None:
        """Recompute every BatchNorm's running mean / variance with the final weights of the epoch.

        The running averages (momentum 0.1) trail weights that still move fast
        early in training, so the eval-mode network (what validation and the app
        run) can be far off the train-mode one; "precise BN" (Wu & Johnson 2021,
        pycls) replaces them with exact averages over ``batches`` training
        batches. Each process estimates on its own batches (rank 0's are saved).
        """
        bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not bns:
            return
        momenta = [m.momentum for m in bns]
        for m in bns:
            m.reset_running_stats()
            m.momentum = None  # cumulative average
        device = self.dist.device
        memory = torch.channels_last if self.cfg.train.channels_last else torch.contiguous_format
        was = model.training
        model.train()
        for i, batch in enumerate(self.loader):
            if i >= batches:
                break
            images = batch["image"].to(device, non_blocking=True).contiguous(memory_format=memory)
            with torch.autocast(device.type, dtype=self.amp_dtype or torch.float32, enabled=self.amp_dtype is not None):
                model(images)
        model.train(was)
        for m, momentum in zip(bns, momenta):
            m.momentum = momentum

    def _metric_name(self) -> str:
        return "PCKh@0.5" if self.layout.name == "mpii" else "AP"

    def _should_validate(self) -> bool:
        every = self.cfg.train.val_every
        last = self.epoch + 1 == self.cfg.train.epochs
        return self.val_source is not None and every > 0 and ((self.epoch + 1) % every == 0 or last)

    def _train_epoch(self) -> dict:
        from tqdm import tqdm

        cfg = self.cfg
        self.ddp.train()
        self.dataset.set_epoch(self.epoch)
        if isinstance(self.sampler, DistributedSampler):
            self.sampler.set_epoch(self.epoch)
        else:
            self.generator.manual_seed(cfg.train.seed * 1000003 + self.epoch)
        device = self.dist.device
        memory = torch.channels_last if cfg.train.channels_last else torch.contiguous_format
        bar = tqdm(self.loader, desc=f"epoch {self.epoch + 1}/{cfg.train.epochs}", unit="step", leave=False,
                   disable=not (self.dist.is_main and cfg.train.progress), dynamic_ncols=True)
        t_epoch = t_window = time.perf_counter()
        loss_sum, n_steps, window_steps, window_samples = 0.0, 0, 0, 0
        for batch in bar:
            images = batch["image"].to(device, non_blocking=True).contiguous(memory_format=memory)
            target = batch["target"].to(device, non_blocking=True)
            weight = batch["target_weight"].to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=self.amp_dtype or torch.float32, enabled=self.amp_dtype is not None):
                out = self._forward(images)
            loss = self.criterion(out.float(), target, weight)
            if self.kd_criterion is not None:
                kd_t = batch["kd_target"].to(device, non_blocking=True)
                kd_w = batch["kd_weight"].to(device, non_blocking=True)
                loss = loss + self.cfg.teacher.kd_weight * self.kd_criterion(out.float(), kd_t, kd_w)
            if not torch.isfinite(loss):
                raise PoseappError(f"the loss became {loss.item()} at step {self.global_step}: lower optim.lr")
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step()
            if self.ema is not None:
                self.ema.update(self.model)
            self.global_step += 1
            value = float(loss.detach())
            loss_sum += value
            n_steps += 1
            window_steps += 1
            window_samples += images.shape[0] * self.dist.world_size
            lr = self.optimizer.param_groups[0]["lr"]
            if bar.disable is False:
                bar.set_postfix(loss=f"{value:.3g}", lr=f"{lr:.2g}")
            if self.dist.is_main and cfg.train.log_every > 0 and self.global_step % cfg.train.log_every == 0:
                now = time.perf_counter()
                sps = window_samples / max(now - t_window, 1e-9)
                self.log.write("step", None, epoch=self.epoch + 1, step=self.global_step, loss=value, lr=lr,
                               samples_per_s=round(sps, 2))
                t_window, window_steps, window_samples = now, 0, 0
        bar.close()
        seconds = time.perf_counter() - t_epoch
        loss_mean = mean_over_ranks(loss_sum / max(n_steps, 1), self.dist)
        samples = n_steps * self.per_rank_batch * self.dist.world_size
        return {
            "loss": loss_mean,
            "lr": self.optimizer.param_groups[0]["lr"],
            "steps": n_steps,
            "global_step": self.global_step,
            "samples_per_s": samples / max(seconds, 1e-9),
            "seconds": seconds,
        }

    def _forward(self, images: torch.Tensor) -> torch.Tensor:
        """The training forward; a ``torch.compile`` failure becomes one line naming the switch to turn off."""
        if not self.cfg.train.compile:
            return self.forward(images)
        try:
            return self.forward(images)
        except Exception as exc:  # torch._dynamo / inductor errors (no C++ compiler, unsupported op, ...)
            if isinstance(exc, PoseappError):
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise PoseappError(f"torch.compile failed on {self.cfg.model} ({first[:200]}): set train.compile=false "
                               f"to train eagerly") from exc

    def _validate(self) -> float | None:
        metric = math.nan
        if self.dist.is_main:
            result = self.evaluate()
            metric = result.primary
            self.log.write("val", result.table.rstrip(), epoch=self.epoch + 1, metrics=result.metrics)
        barrier(self.dist)
        metric = broadcast_float(metric, self.dist)
        self.ddp.train()
        return None if math.isnan(metric) else metric

    def evaluate(self, source: PoseSource | None = None) -> EvalResult:
        """Score the current weights on ``source`` (default: the validation set)."""
        source = source or self.val_source
        if source is None:
            raise PoseappError("no validation data configured (data.val)")
        runner = DeviceRunner(self.eval_model, self.cfg.model, self.input_hw, self.layout.num_joints,
                              self.dist.device, channels_last=self.cfg.train.channels_last)
        try:
            return evaluate_source(runner, source, self._eval_cfg(), workers=max(1, self.cfg.data.workers),
                                   progress=self.cfg.train.progress)
        finally:
            self.model.train()

    def _eval_cfg(self) -> EvalConfig:
        """How validation runs: the recipe's ``eval`` with crops of ``eval.box_scale`` (default: the training
        crops' ``data.box_scale``), as the checkpoint records it (``_meta``) and the app will run it."""
        e = self.cfg.eval
        return replace(e, box_scale=e.box_scale or self.cfg.data.box_scale)

    def _save(self, improved: bool, metric: float | None) -> None:
        meta = self._meta()
        state = {
            "epoch": self.epoch,
            "global_step": self.global_step,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "best_metric": self.best,
            "metric": metric,
            "history": self.history,
            "config": self.cfg.to_dict(),
        }
        if self.ema is not None:
            state["ema"] = self.ema.state_dict()
        save_training_state(self.model, self.out_dir, self.cfg.model, meta, state)
        if improved:
            save_best(self.eval_model, self.out_dir, self.cfg.model,
                      {**meta, "epoch": self.epoch, "metric": metric, "metric_name": self._metric_name()})
            self.log.write("best", f"new best {self._metric_name()} {metric:.4f}: {self.out_dir / BEST}",
                           epoch=self.epoch, metric=metric)
