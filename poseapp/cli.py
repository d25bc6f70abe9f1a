"""``poseapp`` command line: one subcommand per verb.

User errors (``PoseappError``) print one line ``poseapp: ...`` and exit 2.
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from pathlib import Path

from .errors import PoseappError

# packages that add their own subcommands: each module has ``register(subparsers)``
EXTRA_COMMANDS: list[str] = ["poseapp.bench", "poseapp.gui.command", "poseapp.training.command", "poseapp.training.ablation",
                             "poseapp.training.soup"]


def _add_model_args(p: argparse.ArgumentParser, backend: bool = True) -> None:
    from .settings import add_setting_args  # torch-free: --help stays fast

    add_setting_args(p, ["model", "backend"] if backend else ["model"])
    p.add_argument("--weights", default=None, help="checkpoint file (default: the shipped one in models/)")
    add_allow_untrained(p)


def add_allow_untrained(p: argparse.ArgumentParser) -> None:
    """``--allow-untrained``: run a network that has no trained weights (else a one-line error, exit 2)."""
    p.add_argument("--allow-untrained", action="store_true",
                   help="run a network without trained weights on random ones (keypoints are noise; "
                        "default: refuse, with exit code 2)")


# ---------------------------------------------------------------- models
def cmd_models(args: argparse.Namespace) -> int:
    """The table needs no torch: params/MACs come from ``poseapp.catalog`` (measured, checked by a test)."""
    from .catalog import NETWORKS
    from .runtime.manifest import auto_backend, default_weights, read_manifest, shipped_ap

    manifest = read_manifest()
    rows = []
    for net in NETWORKS:
        name = net["name"]
        params_m = net["params"] / 1e6
        gmacs = net["macs"] / 1e9
        paper_p = min((net["paper_params_m"], *net["alt_paper_params_m"]), key=lambda v: abs(v - params_m))
        entry = manifest.get(name, {})
        rows.append({
            "name": name,
            "params_m": round(params_m, 3),
            "gmacs": round(gmacs, 3),
            "paper_params_m": paper_p,
            "paper_gmacs": net["paper_gmacs"],
            "params_diff": round(params_m / paper_p - 1, 4),
            "gmacs_diff": round(gmacs / net["paper_gmacs"] - 1, 4),
            "tolerance": net["tolerance"],
            "paper_coco_ap": net["paper_coco_ap"],
            "paper_mpii_pckh": net["paper_mpii_pckh"],
            "weights": default_weights(name) is not None,
            "ap": (shipped_ap(entry) or (None, None))[0],
            "ap_set": (shipped_ap(entry) or (None, None))[1],
            "auto_backend": auto_backend(name),
            "source": net["paper"],
        })
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    head = f"{'model':<18}{'params M':>9}{'GMACs':>8}{'paper M':>9}{'paper G':>9}{'dParams':>9}{'dGMACs':>8}  {'weights':<8}{'AP':>6}  {'auto':<11}paper AP"
    print(head)
    print("-" * len(head))
    for r in rows:
        ap = "-" if r["ap"] is None else f"{r['ap']:.3f}" + ("" if r["ap_set"] == "coco17 val" else "*")
        print(f"{r['name']:<18}{r['params_m']:>9.3f}{r['gmacs']:>8.3f}{r['paper_params_m']:>9.2f}{r['paper_gmacs']:>9.3f}"
              f"{r['params_diff']:>+9.1%}{r['gmacs_diff']:>+8.1%}  {'yes' if r['weights'] else 'no':<8}{ap:>6}  {r['auto_backend']:<11}{r['paper_coco_ap'] or '-'}")
    print("MACs counted as the papers count FLOPs (one multiply-add = one), at 256x192; AP: ours on coco17 val "
          "(643 people, ground-truth boxes, flip), * = only measured on coco-mini val (68 people); auto: the "
          "backend --backend auto (the default) runs.")
    return 0


# ---------------------------------------------------------------- export
def cmd_export(args: argparse.Namespace) -> int:
    from .runtime import export_onnx, load_model

    loaded = load_model(args.model, args.weights, allow_untrained=args.allow_untrained)
    out = export_onnx(loaded, args.out)
    print(f"wrote {out} ({args.model}, input 1x3x{loaded.input_hw[0]}x{loaded.input_hw[1]} with dynamic batch, weights {loaded.weights_id}; "
          f"runs as {loaded.spec.describe()})")
    return 0


# ---------------------------------------------------------------- quantize
def cmd_quantize(args: argparse.Namespace) -> int:
    import dataclasses

    from .bench import input_hw_arg
    from .runtime import load_model
    from .runtime.quantize import quantize_model

    for flag, path in (("--ann", args.ann), ("--images", args.images)):
        if not Path(path).exists():
            raise PoseappError(f"{flag} {path} not found: pass a COCO keypoint file and its image folder to calibrate on")
    loaded = load_model(args.model, args.weights, allow_untrained=args.allow_untrained)
    hw = input_hw_arg(args.input) if args.input else None
    if hw:
        loaded = dataclasses.replace(loaded, input_hw=hw)
    if args.crops < 8:
        raise PoseappError("--crops must be 8 or more")
    out = quantize_model(loaded, Path(args.ann), Path(args.images), Path(args.out) if args.out else None, args.crops)
    h, w = loaded.input_hw
    use = "; --backend onnx-int8 now runs it" if not args.out else ""
    print(f"wrote {out} ({args.model} int8, {h}x{w}, weights {loaded.weights_id}){use}")
    return 0


# ---------------------------------------------------------------- annotate
def cmd_annotate(args: argparse.Namespace) -> int:
    from .annotate import AnnotateOptions, annotate_input
    from .io.sources import missing_input
    from .pipeline import Pipeline, PipelineConfig
    from .settings import validate, values_from_args

    given = values_from_args(args)
    validate(given)
    # a mistyped path is reported before the detector loads (which may try to download its weights)
    errors = {inp: error for inp in args.inputs if (error := missing_input(inp)) is not None}
    missing = [inp for inp in args.inputs if inp in errors]
    for inp in missing:
        print(f"poseapp: {errors[inp]}", file=sys.stderr)
    inputs = [inp for inp in args.inputs if inp not in errors]
    if not inputs:
        return annotate_exit_code(len(args.inputs), len(missing))
    pipeline = Pipeline(PipelineConfig(**given, weights=args.weights, allow_untrained=args.allow_untrained))
    opts = AnnotateOptions(Path(args.outdir), video=not args.no_video, csv=args.csv, progress=not args.quiet)
    failed = len(missing)
    for inp in inputs:
        try:
            summary = annotate_input(pipeline, inp, opts)
        except PoseappError as exc:
            print(f"poseapp: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(summary.line())
    return annotate_exit_code(len(args.inputs), failed)


def annotate_exit_code(inputs: int, failed: int) -> int:
    """0: every input annotated; 1: some failed, others were written; 2: none could be annotated."""
    if not failed:
        return 0
    return 2 if failed >= inputs else 1


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand's parser. Imports no torch (tests/test_startup.py): ``--help`` answers in well under 1 s."""
    from . import __version__
    from .settings import add_setting_args, cli_settings

    parser = argparse.ArgumentParser(prog="poseapp", description="Real-time multi-person pose estimation on the CPU.")
    parser.add_argument("--version", action="version", version=f"poseapp {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("models", help="list the pose networks with measured and paper params/GMACs")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("export", help="export a network to ONNX (dynamic batch, with metadata)")
    _add_model_args(p, backend=False)
    p.add_argument("--out", required=True, help="output .onnx file")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("quantize", help="int8 ONNX model calibrated on real person crops (for --backend onnx-int8)")
    _add_model_args(p, backend=False)
    p.add_argument("--ann", required=True, help="COCO keypoint annotation file whose person boxes are the calibration crops")
    p.add_argument("--images", required=True, help="its image folder")
    p.add_argument("--input", default=None, metavar="HxW", help="crop size (default: the checkpoint's)")
    p.add_argument("--crops", type=int, default=128, help="calibration crops (default 128)")
    p.add_argument("--out", default=None, help="output .onnx (default: the cache that --backend onnx-int8 reads)")
    p.set_defaults(func=cmd_quantize)

    p = sub.add_parser("annotate", help="annotate videos, images or image folders: skeleton video + keypoints JSON/CSV",
                       description="Annotate videos, images or image folders: skeleton video + keypoints JSON/CSV.",
                       epilog="A bad input is reported in one line and the others are still processed. Exit code: "
                              "0 all inputs annotated, 1 some inputs bad (the others were written), "
                              "2 no input could be annotated or a bad option.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="video files, image files or folders of images")
    p.add_argument("-o", "--outdir", default="poseapp_out", help="output folder (default poseapp_out)")
    _add_model_args(p)
    add_setting_args(p, [n for n in cli_settings() if n not in ("model", "backend")])
    p.add_argument("--no-video", action="store_true", help="write keypoints only")
    p.add_argument("--csv", action="store_true", help="also write <stem>.keypoints.csv")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_annotate)

    for module in EXTRA_COMMANDS:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, format="poseapp: %(message)s")
    # --allow-untrained's one-line warning (poseapp.runtime.model) shows without -v
    logging.getLogger("poseapp.runtime.model").setLevel(logging.INFO if args.verbose else logging.WARNING)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except PoseappError as exc:
        print(f"poseapp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("poseapp: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
