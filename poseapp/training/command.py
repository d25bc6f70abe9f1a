"""``poseapp train`` and ``poseapp eval``.

``train --config FILE [--data-root DIR] [--resume] [--set key=value ...]`` runs a
recipe (``training/configs/``); launch it under ``torchrun`` for several GPUs.
``eval --model NAME --ann FILE.json --images DIR`` scores a network on a COCO
keypoints file (COCOeval table; ``--boxes DETS.json`` for detected boxes) or an
MPII json file (PCKh table), through the app's runtime.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ..errors import PoseappError


# ---------------------------------------------------------------- train
def cmd_train(args: argparse.Namespace) -> int:
    from .config import load_config
    from .trainer import Trainer

    cfg = load_config(args.config, args.set or [])
    if args.data_root:
        if not Path(args.data_root).is_dir():
            raise PoseappError(f"--data-root {args.data_root} is not a folder")
        cfg.data.root = args.data_root
    if args.quiet:
        cfg.train.progress = False
    result = Trainer(cfg, resume=args.resume).fit()
    if not result.is_main:
        return 0
    best = f", best {result.best_metric:.4f}" if result.best_metric is not None else ""
    print(f"done: {result.epoch}/{cfg.train.epochs} epochs, {result.global_step} steps{best}; checkpoints in {result.out_dir}")
    return 0


# ---------------------------------------------------------------- prepare-lsp
def cmd_prepare_lsp(args: argparse.Namespace) -> int:
    from .lsp import build_lsp_coco

    teacher = None
    if args.teacher:
        from .teacher import load_teacher

        teacher = load_teacher(args.teacher, args.shared_data)
    t0 = time.perf_counter()
    train, val = build_lsp_coco(args.lsp, args.out, teacher=teacher, progress=not args.quiet)
    print(f"wrote {train} and {val} in {time.perf_counter() - t0:.0f} s"
          + ("" if teacher else " (no teacher: no face joints in the training split)"))
    return 0


# ---------------------------------------------------------------- publish
def cmd_publish(args: argparse.Namespace) -> int:
    from .publish import publish

    out = Path(args.out) if args.out else None
    if bool(args.runs) == bool(args.remeasure):
        raise PoseappError("publish: pass the training run folder(s) with --runs, or --remeasure for the shipped weights")
    entry = publish(args.model, [Path(r) for r in args.runs or []], weights=Path(args.weights) if args.weights else None,
                    out_dir=out, shared_data=Path(args.shared_data), lsp_val=Path(args.lsp_val),
                    progress=not args.quiet, crop_scales=tuple(args.crop_scales))
    from .publish import teacher_figures

    m, p = entry["metrics"], "coco17_val"
    teachers = ", ".join(f"{n} {teacher_figures(entry, n)[p + '_ap']:.3f}" for n in ("thunder", "lightning")
                         if p + "_ap" in teacher_figures(entry, n))
    print(f"wrote {entry['file']} ({entry['bytes'] / 1e6:.1f} MB, {entry['input_hw'][0]}x{entry['input_hw'][1]}), "
          f"manifest entry and card: coco17 val AP {m[p + '_ap']:.3f} ({entry['run_spec']['codec']['decoder']} decoder)" + (f" (teachers: {teachers})" if teachers else "")
          + f", no flip {m[p + '_ap_noflip']:.3f}, DARK {m[p + '_ap_dark']:.3f}, beta {m[p + '_ap_beta']:.3f}; "
          f"coco-mini val AP {m['coco_mini_val_ap']:.3f}" + (f"; LSP val AP {m['lsp_val_ap']:.3f}" if "lsp_val_ap" in m else "")
          + f"; int8 {entry['int8']['file']}: AP {entry['int8']['metrics'][p + '_ap']:.3f}")
    return 0


# ---------------------------------------------------------------- eval
def detect_format(ann: Path) -> str:
    """``coco`` or ``mpii`` from the file's content; one-line error otherwise."""
    from .datasets.base import read_json
    from .datasets.coco import is_coco_keypoints
    from .datasets.mpii import is_mpii_json

    if not ann.is_file():
        raise PoseappError(f"annotation file {ann} not found")
    data = read_json(ann)
    if is_coco_keypoints(data):
        return "coco"
    if is_mpii_json(data):
        return "mpii"
    raise PoseappError(
        f"{ann} is neither a COCO keypoints file (images/annotations/categories with keypoints) "
        "nor an MPII json annotation list"
    )


def cmd_eval(args: argparse.Namespace) -> int:
    from .config import EvalConfig
    from .datasets import SourceSpec, build_source
    from .evaluation import build_runner, evaluate_source

    ann, images = Path(args.ann), Path(args.images)
    kind = detect_format(ann)
    if not images.is_dir():
        raise PoseappError(f"image folder {images} not found")
    if kind == "mpii" and args.boxes != "gt":
        raise PoseappError("--boxes applies to COCO; MPII persons are cropped from their annotated centre and scale")
    if args.boxes != "gt" and not Path(args.boxes).is_file():
        raise PoseappError(f"detection results file {args.boxes} not found (or pass --boxes gt)")
    if args.box_scale is not None and not 0.5 <= args.box_scale <= 3.0:
        raise PoseappError(f"--box-scale {args.box_scale} is outside 0.5-3.0: pass the crop's size over the box's, "
                           "e.g. 1.25")
    if args.weights and not Path(args.weights).is_file():
        raise PoseappError(f"weights file {args.weights} not found: pass an existing .pt checkpoint with --weights")
    spec = SourceSpec(kind, ann, images, boxes=args.boxes, det_score_threshold=args.det_thr,
                      headboxes=Path(args.headboxes) if args.headboxes else None, limit=args.limit)
    source = build_source(spec)
    if args.teacher:
        return _eval_teacher(args, source)
    runner = build_runner(args.model, args.backend, args.weights, source.layout.num_joints, args.threads,
                          allow_untrained=args.allow_untrained)
    # the decoder the checkpoint records (its RunSpec) unless --decoder; flip test on unless --no-flip (COCO protocol)
    cfg = EvalConfig(flip_test=not args.no_flip, decoder=args.decoder or runner.spec.codec.decoder, batch_size=args.batch,
                     box_scale=args.box_scale or runner.spec.box_scale)
    t0 = time.perf_counter()
    result = evaluate_source(runner, source, cfg, workers=args.workers, progress=not args.quiet)
    seconds = time.perf_counter() - t0
    print(result.table.rstrip())
    weights_id = getattr(runner, "weights_id", None) or Path(getattr(runner, "path", "")).stem
    print(f"{args.model} ({weights_id}, {runner.backend}, input {runner.input_hw[0]}x{runner.input_hw[1]}, "
          f"{cfg.decoder}, flip {'on' if cfg.flip_test else 'off'}, crop box x {cfg.box_scale:g}) on {ann.name}, boxes {'ground truth' if args.boxes == 'gt' else Path(args.boxes).name}: "
          f"{result.line()}, {seconds:.1f} s")
    _print_per_joint(args, result)
    if kind == "mpii" and source.extra.get("head_source") == "head_segment":
        print("note: head sizes from the head segment (no --headboxes mpii_gt_val.mat): thresholds are looser than the benchmark's")
    if args.json:
        _write_json(args.json, {
            "model": args.model, "weights": args.weights, "weights_id": weights_id, "backend": runner.backend,
            "input_hw": list(runner.input_hw), "ann": str(ann), "images": str(images), "boxes": args.boxes,
            "benchmark": result.benchmark, "flip_test": cfg.flip_test, "decoder": cfg.decoder,
            "box_scale": cfg.box_scale,
            "persons": result.persons, "seconds": round(seconds, 2), "metrics": result.metrics,
        })
    return 0


def _print_per_joint(args: argparse.Namespace, result) -> None:
    if not getattr(args, "per_joint", False):
        return
    if "per_joint" not in result.metrics:
        print("note: --per-joint applies to COCO keypoint files (MPII reports PCKh per joint above)")
        return
    from .evaluation.coco_eval import per_joint_table

    print(per_joint_table(result.metrics["per_joint"]))


def _write_json(path: str, payload: dict) -> None:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


def _eval_teacher(args: argparse.Namespace, source) -> int:
    """Score the MoveNet teacher with the same boxes and COCOeval as the networks."""
    from .config import EvalConfig
    from .evaluation import evaluate_predictions
    from .teacher import load_teacher, teacher_predictions

    if source.layout.name != "coco":
        raise PoseappError("--teacher predicts COCO-17 keypoints: pass a COCO keypoints file")
    teacher = load_teacher(args.teacher, args.shared_data, threads=max(1, args.threads))
    t0 = time.perf_counter()
    preds = teacher_predictions(teacher, source.samples, progress=not args.quiet)
    result = evaluate_predictions(source, preds, EvalConfig())
    seconds = time.perf_counter() - t0
    print(result.table.rstrip())
    print(f"teacher {teacher.name} ({teacher.path.name}, square crop, 1.25 padding, no flip): {result.line()}; "
          f"{len(source.samples)} persons in {seconds:.1f} s")
    _print_per_joint(args, result)
    if args.json:
        _write_json(args.json, {"model": "teacher", "teacher": str(args.teacher), "ann": str(args.ann),
                                "boxes": args.boxes, "persons": result.persons, "metrics": result.metrics})
    return 0


def register(subparsers) -> None:
    """Add ``train`` and ``eval`` to the ``poseapp`` command line."""
    from ..cli import add_allow_untrained
    from ..defaults import BACKEND_CHOICES, CROP_SCALES, DECODERS, DEFAULT_MODEL  # torch-free: --help stays fast

    p = subparsers.add_parser("train", help="train a pose network from a recipe (training/configs/*.yaml)")
    p.add_argument("--config", required=True, metavar="FILE", help="recipe YAML (see training/configs/)")
    p.add_argument("--data-root", metavar="DIR", help="dataset folder (overrides data.root)")
    p.add_argument("--resume", action="store_true", help="continue the run in train.out_dir from its last.pt")
    p.add_argument("--set", nargs="+", action="extend", metavar="KEY=VALUE",
                   help="override config keys, e.g. --set train.epochs=10 data.input_hw=[128,96]")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser("prepare-lsp", help="write LSP-extended as COCO keypoint files (teacher fills face joints)")
    p.add_argument("--lsp", default="../shared/data/lsp-extended", metavar="DIR",
                   help="LSP-extended folder with joints.mat and images/ (default ../shared/data/lsp-extended)")
    p.add_argument("--out", default="runs/lsp", metavar="DIR", help="output folder (default runs/lsp)")
    p.add_argument("--teacher", default="", metavar="NAME|FILE",
                   help="fill the training split's face joints from this MoveNet teacher (thunder, lightning or a file; "
                        "default none: recipes with teacher.name fill them at training time, weighted by the teacher's score)")
    p.add_argument("--shared-data", default="../shared/data", metavar="DIR", help="folder with teachers/")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_prepare_lsp)

    p = subparsers.add_parser("publish", help="ship a trained checkpoint: models/<name>.pt (fp16), manifest, model card")
    p.add_argument("--model", required=True, help="pose network the runs trained")
    p.add_argument("--runs", nargs="+", metavar="DIR", help="training run folders, first stage first")
    p.add_argument("--remeasure", action="store_true",
                   help="instead of --runs: re-measure the shipped models/<name>.pt (figures, int8 model, card) "
                        "and keep its recorded training")
    p.add_argument("--weights", help="checkpoint to ship (default: best.pt of the last run)")
    p.add_argument("--out", metavar="DIR", help="models folder (default: the package's models/)")
    p.add_argument("--shared-data", default="../shared/data", metavar="DIR", help="folder with coco-mini/ and lsp-extended/")
    p.add_argument("--lsp-val", default="runs/lsp/lsp_val.json", metavar="FILE", help="from 'poseapp prepare-lsp'")
    p.add_argument("--crop-scales", type=float, nargs="+", default=list(CROP_SCALES), metavar="S",
                   help="crops (box x S) tried on coco17 val, each one evaluation; the best is the one the file runs "
                        f"with (default {' '.join(f'{c:g}' for c in CROP_SCALES)})")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_publish)

    p = subparsers.add_parser("eval", help="COCO AP / MPII PCKh of a network on an annotation file")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"pose network (default {DEFAULT_MODEL})")
    p.add_argument("--weights", default=None, help="checkpoint (default: the shipped one)")
    add_allow_untrained(p)
    p.add_argument("--ann", required=True, metavar="FILE.json", help="COCO person_keypoints_*.json or MPII json")
    p.add_argument("--images", required=True, metavar="DIR", help="folder with the images the file names")
    p.add_argument("--boxes", default="gt", metavar="gt|DETS.json",
                   help="person boxes: ground truth (default) or a COCO detection results file")
    p.add_argument("--backend", default="torch", choices=BACKEND_CHOICES,
                   help="runtime (default torch; auto: what the app runs by default, see 'poseapp models')")
    p.add_argument("--json", metavar="OUT", help="also write the figures to this JSON file")
    p.add_argument("--no-flip", action="store_true", help="no flip test")
    p.add_argument("--decoder", default=None, choices=DECODERS,
                   help="heatmap decoder (default: the checkpoint's; argmax for checkpoints that record none)")
    p.add_argument("--box-scale", type=float, default=None, metavar="S",
                   help="crop = box x S (default: the checkpoint's, as the app runs it; 1.25 for checkpoints that "
                        "record none)")
    p.add_argument("--batch", type=int, default=64, help="persons per forward pass (default 64)")
    p.add_argument("--det-thr", type=float, default=0.0, help="minimum detection score with --boxes (default 0)")
    p.add_argument("--headboxes", metavar="MAT", help="MPII: official mpii_gt_val.mat for head sizes (needs scipy)")
    p.add_argument("--limit", type=int, default=None, help="evaluate the first N persons only")
    p.add_argument("--teacher", metavar="NAME|FILE",
                   help="score a MoveNet teacher instead of a network: thunder, lightning or a .onnx/.tflite file (COCO files)")
    p.add_argument("--shared-data", default="../shared/data", metavar="DIR",
                   help="folder with teachers/ for --teacher thunder|lightning (default ../shared/data)")
    p.add_argument("--per-joint", action="store_true",
                   help="COCO: also print each joint's mean OKS, share at OKS>=0.5 and median error")
    p.add_argument("--workers", type=int, default=4, help="image-reading threads (default 4)")
    p.add_argument("--threads", type=int, default=0, help="inference threads (default: all)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_eval)
