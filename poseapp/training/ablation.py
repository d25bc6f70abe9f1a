"""``poseapp ablate``: each augmentation against the same schedule without it (issue 13, item 3).

    poseapp ablate --config RECIPE.yaml [--epochs N] [--variants base,occlusion,...] [--out runs/ablation]

Every variant trains the same recipe from the same start (its ``train.init``) for the same number of
epochs, with one change (``VARIANTS``: to ``augment:``, or the teacher), one run after another (one
training at a time), into ``OUT/<variant>/``. The geometry draws come from a stream per (seed, epoch,
person) and the pixel augmentations from a stream of their own, so all variants see the same persons in
the same order, flips, scales and rotations: the comparison is paired. A finished variant is skipped and an interrupted one
resumes from its ``last.pt``, so a long ablation can span sessions. At the end it prints, and writes to
``OUT/ablation.md``, each variant's validation figure per epoch, its last epoch against ``base``, and its
training time.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import PoseappError

# one change each to the recipe's augment section (values from the mmpose / HRNet ranges the issue names)
VARIANTS: dict[str, list[str]] = {
    "base": [],
    "shift": ["augment.shift=0.15"],  # truncation: crop centre moved up to 15% of the crop
    "scale": ["augment.scale_range=[0.5,1.5]"],  # stronger scale (close-ups and small people)
    "occlusion": ["augment.occlusion_prob=0.5"],  # patches of other training images pasted over the person
    "erase": ["augment.erase_prob=0.5"],  # random erasing
    "color": ["augment.color_prob=0.5"],  # photometric jitter
    "blur": ["augment.blur_prob=0.3"],  # Gaussian or motion blur
}
VARIANTS["all"] = [a for name, sets in VARIANTS.items() if name != "base" for a in sets]
# the teacher against the same schedule (item 2): MoveNet Thunder's fill of the unlabelled joints alone, then
# with the distillation term as well (not part of "all": that is the augmentations together)
VARIANTS["fill"] = ["teacher.name=thunder", "teacher.fill=true", "teacher.kd_weight=0"]
VARIANTS["kd"] = ["teacher.name=thunder", "teacher.fill=true", "teacher.kd_weight=0.5"]
# the width of the Gaussian targets, in heatmap pixels (the recipes use HRNet's 2, set for 64x48 maps; at the
# 32x24 maps of a 128x96 input the same share of the person is sigma 1; not part of "all" either)
VARIANTS["sigma1.5"] = ["data.sigma=1.5"]
VARIANTS["sigma1"] = ["data.sigma=1.0"]


def parse_variants(text: str) -> list[str]:
    names = [v.strip() for v in text.split(",") if v.strip()]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown or not names:
        raise PoseappError(f"--variants {text!r}: unknown {', '.join(unknown) or '(none given)'}; "
                           f"choose from {','.join(VARIANTS)}")
    return list(dict.fromkeys(names))


def _epochs_done(run: Path) -> list[dict]:
    from .runlog import epoch_records, read_log

    log = run / "log.jsonl"
    done = epoch_records(read_log(log)) if log.is_file() else {}
    return [done[k] for k in sorted(done)]


def run_variant(config: Path, name: str, epochs: int, out: Path, extra: list[str], quiet: bool) -> str:
    """Train one variant to ``epochs`` (resuming or skipping as its folder says); returns what it did."""
    from .checkpoint import LAST
    from .config import load_config
    from .trainer import Trainer

    run = out / name
    done = _epochs_done(run)
    if done and done[-1]["epoch"] >= epochs:
        return "finished earlier"
    resume = (run / LAST).is_file()
    sets = [*extra, *VARIANTS[name], f"train.epochs={epochs}", f"train.out_dir={run}"]
    cfg = load_config(config, sets)
    if not cfg.train.val_every:
        raise PoseappError(f"{config}: train.val_every is 0, so the variants would have no validation figure to compare")
    if quiet:
        cfg.train.progress = False
    Trainer(cfg, resume=resume).fit()
    return "resumed" if resume else "trained"


def table(out: Path, names: list[str]) -> str:
    """Markdown: validation figure per epoch, last epoch minus base's, training hours.

    Besides ``names`` it lists every other variant already trained in ``out`` (an ablation run in parts, e.g.
    the teacher variants in a later session, still gives one table against the same ``base``).
    """
    names = [n for n in VARIANTS if n in names or _epochs_done(out / n)]
    runs = {n: _epochs_done(out / n) for n in names}
    width = max((len(r) for r in runs.values()), default=0)
    base = runs.get("base")
    base_last = base[-1].get("metric") if base else None
    head = ["variant", "change to the recipe", *[f"epoch {i + 1}" for i in range(width)], "vs base", "train h"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for n, recs in runs.items():
        vals = [r.get("metric") for r in recs]
        cells = [f"{v:.3f}" if v is not None else "-" for v in vals] + [""] * (width - len(vals))
        last = vals[-1] if vals else None
        diff = f"{last - base_last:+.3f}" if last is not None and base_last is not None and n != "base" else ""
        hours = sum(r.get("seconds", 0.0) for r in recs) / 3600
        change = ", ".join(a.removeprefix("augment.") for a in VARIANTS[n]) or "(the recipe as written)"
        lines.append("| " + " | ".join([n, change, *cells, diff, f"{hours:.2f}"]) + " |")
    return "\n".join(lines) + "\n"


def cmd_ablate(args: argparse.Namespace) -> int:
    config = Path(args.config)
    if not config.is_file():
        raise PoseappError(f"config file {config} not found (see training/configs/)")
    if args.epochs < 1:
        raise PoseappError(f"--epochs {args.epochs}: need at least 1")
    names = parse_variants(args.variants)
    out = Path(args.out)
    for name in names:
        what = run_variant(config, name, args.epochs, out, args.set or [], args.quiet)
        print(f"{name}: {what}", flush=True)
    text = table(out, names)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.md").write_text(f"`poseapp ablate --config {config} --epochs {args.epochs}`\n\n{text}", encoding="utf-8")
    print(text, end="")
    print(f"wrote {out / 'ablation.md'}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("ablate", help="train each augmentation against the same schedule without it")
    p.add_argument("--config", required=True, metavar="FILE", help="the recipe every variant trains (with validation)")
    p.add_argument("--epochs", type=int, default=3, help="epochs per variant (default 3)")
    p.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, from {','.join(VARIANTS)} (default all)")
    p.add_argument("--out", default="runs/ablation", metavar="DIR", help="one run folder per variant (default runs/ablation)")
    p.add_argument("--set", nargs="+", action="extend", metavar="KEY=VALUE",
                   help="override recipe keys for every variant, e.g. --set train.init=models/lpn50.pt")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ablate)
