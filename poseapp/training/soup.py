"""``poseapp soup``: average the weights of checkpoints of one network fine-tuned from the same start.

A "model soup" (Wortsman et al., ICML 2022): networks fine-tuned from one starting point often sit in one basin
of the loss, and the plain average of their weights then scores above each of them, at no cost at inference.
Here the ingredients are a network's published weights and the best checkpoint of a later cycle trained from
them. Measured 2026-12-07 (coco17 val, the recipe's validation: flip, DARK, crop x1.1; each figure after the
same BatchNorm re-estimation): sfm shipped 0.2922 and sfm_kd_low 0.2906 -> their soup **0.2946**. lpn50
gained nothing: lpn50_192d's best 0.3496 with its own last epoch's average 0.3469, with lpn50_192c's best
(0.3425, the start of lpn50_192d) 0.3459, with both 0.3487. A soup pays where the ingredients ended at about
the same AP; where a later cycle beat its start, averaging with the start only dilutes it.

The parameters are averaged; BatchNorm statistics are not (the mean of two variances is not the variance of
the averaged network), they are re-estimated for the soup over ``train.precise_bn`` training batches of the
recipe (20 where the recipe sets none), as the trainer does after each epoch. The soup is then validated as the
recipe validates and written as a run folder (``config.yaml``, ``log.jsonl`` with a ``soup`` record,
``best.pt``), so ``poseapp publish --runs ... <soup folder>`` ships it as one more stage.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import PoseappError

# torch is imported where it is used: `poseapp --help` builds this command's parser and must not load it
DEFAULT_BN_BATCHES = 20


@dataclass
class SoupResult:
    out_dir: Path
    metric: float | None
    ingredients: list[dict]
    seconds: float


def average_states(states: list[dict], names: list[str]) -> dict:
    """The element-wise mean of floating-point tensors (in fp32); other tensors (BatchNorm's batch counter)
    are taken from the first. Every state must have the same keys and shapes (one architecture)."""
    import torch

    first = states[0]
    for state, name in zip(states[1:], names[1:]):
        if state.keys() != first.keys():
            odd = sorted(set(state) ^ set(first))[:3]
            raise PoseappError(f"{name} is not the same network as {names[0]} (keys differ: {', '.join(odd)}): "
                               "a soup averages checkpoints of one architecture")
        for k, v in state.items():
            if v.shape != first[k].shape:
                raise PoseappError(f"{name} is not the same network as {names[0]} ({k}: {tuple(v.shape)} against "
                                   f"{tuple(first[k].shape)}): a soup averages checkpoints of one architecture")
    return {k: (torch.stack([s[k].float() for s in states]).mean(0) if v.is_floating_point() else v.clone())
            for k, v in first.items()}


def _ingredient(path: Path, model: str) -> tuple[dict, dict]:
    from ..runtime import read_checkpoint

    if not path.is_file():
        raise PoseappError(f"checkpoint {path} not found: give the soup existing .pt files (e.g. models/{model}.pt "
                           "and a run's best.pt)")
    ckpt = read_checkpoint(path)
    if ckpt.get("model") not in (None, model):
        raise PoseappError(f"{path} holds {ckpt.get('model')} weights, not {model} (the recipe's model)")
    record = {"path": path.as_posix(), "recipe": ckpt.get("config_name") or ckpt.get("recipe"),
              "metric": ckpt.get("metric")}
    return ckpt["state_dict"], record


def make_soup(cfg, weights: list[Path], out_dir: Path) -> SoupResult:
    """Average ``weights``, re-estimate BatchNorm on ``cfg``'s training data, validate, write ``out_dir``."""
    import torch
    import yaml

    from ..cpuinfo import cpu_name
    from .checkpoint import BEST, save_best
    from .trainer import Trainer

    if len(weights) < 2:
        raise PoseappError("a soup needs at least two checkpoints (--weights A.pt B.pt ...)")
    if (out_dir / BEST).exists():
        raise PoseappError(f"{out_dir} already holds {BEST}: choose another --out")
    loaded = [_ingredient(Path(w), cfg.model) for w in weights]
    state = average_states([s for s, _ in loaded], [str(w) for w in weights])
    cfg.train.init = None
    cfg.train.out_dir = str(out_dir)
    cfg.train.compile = False  # no training step runs
    cfg.data.cache_images = False  # a few batches for BatchNorm: not worth decoding every image first
    trainer = Trainer(cfg)
    model = trainer.eval_model
    model.load_state_dict(state)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False), encoding="utf-8")
    ingredients = [r for _, r in loaded]
    prec = "bf16" if trainer.amp_dtype is torch.bfloat16 else "fp32"
    trainer.log.write("start", f"soup of {len(weights)} {cfg.model} checkpoints: "
                      + ", ".join(r["path"] for r in ingredients), model=cfg.model, persons=len(trainer.dataset),
                      world_size=1, device=str(trainer.dist.device), precision=prec, compiled=False, cpu=cpu_name())
    t0 = time.perf_counter()
    torch.manual_seed(cfg.train.seed)
    trainer._precise_bn(model, cfg.train.precise_bn or DEFAULT_BN_BATCHES)
    seconds = time.perf_counter() - t0
    metric = trainer._validate() if trainer.val_source is not None else None
    meta = {**trainer._meta(), "epoch": 0, "metric": metric, "metric_name": trainer._metric_name(),
            "soup": ingredients}
    save_best(model, out_dir, cfg.model, meta)
    shown = f", val {trainer._metric_name()} {metric:.4f}" if metric is not None else ""
    trainer.log.write("soup", f"soup of {len(weights)}: BatchNorm re-estimated in {seconds:.0f} s{shown}; "
                      f"{out_dir / BEST}", ingredients=ingredients, seconds=seconds, metric=metric)
    return SoupResult(out_dir, metric, ingredients, seconds)


def cmd_soup(args: argparse.Namespace) -> int:
    from .checkpoint import BEST
    from .config import load_config

    if not Path(args.config).is_file():
        raise PoseappError(f"config file {args.config} not found (see training/configs/)")
    cfg = load_config(args.config, args.set or [])
    if args.quiet:
        cfg.train.progress = False
    result = make_soup(cfg, [Path(w) for w in args.weights], Path(args.out))
    parts = [f"{Path(r['path']).as_posix()}" + (f" ({r['metric']:.4f})" if r.get("metric") is not None else "")
             for r in result.ingredients]
    val = f"val AP {result.metric:.4f}" if result.metric is not None else "no validation set in the recipe"
    print(f"soup of {' + '.join(parts)}: {val}; wrote {result.out_dir / BEST} "
          f"(ship it: poseapp publish --model {cfg.model} --runs <earlier stages> {result.out_dir})")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("soup", help="average fine-tuned checkpoints of one network, re-estimate BatchNorm, validate")
    p.add_argument("--config", required=True, metavar="FILE",
                   help="recipe whose training data re-estimates BatchNorm and whose validation scores the soup")
    p.add_argument("--weights", required=True, nargs="+", metavar="PT", help="two or more checkpoints of the network")
    p.add_argument("--out", required=True, metavar="DIR", help="run folder to write (config.yaml, log.jsonl, best.pt)")
    p.add_argument("--set", nargs="+", action="extend", metavar="KEY=VALUE", help="override recipe keys")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_soup)
