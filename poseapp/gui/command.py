"""``poseapp gui``: the desktop app, and its scripted mode for tests and docs."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import PoseappError


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1600x900, not {text!r}") from None
    if w < 400 or h < 300:
        raise argparse.ArgumentTypeError("the window needs at least 400x300")
    return w, h


DESCRIPTION = ("Open the poseapp window. With --snapshot/--exit-after it runs N frames, saves a screenshot "
               "of the whole window and exits 0 (for tests and docs).")


def register(subparsers) -> None:
    """Add the ``gui`` subcommand."""
    p = subparsers.add_parser(
        "gui", help="desktop app: webcam or files live, models and backends switched live, side-by-side compare",
        description=DESCRIPTION,
    )
    add_arguments(p)


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..defaults import BACKEND_CHOICES
    from ..settings import add_setting_args, cli_settings

    p.add_argument("source_arg", nargs="?", metavar="SOURCE", help="same as --source (for file managers and .desktop launchers)")
    p.add_argument("--source", metavar="FILE_OR_INDEX", help="video, image, folder of images, camera index or RTSP/HTTP URL to open")
    add_setting_args(p, cli_settings(app=True), remembered=True)
    p.add_argument("--compare", metavar="MODEL2", help="compare side by side with another model, or with a backend "
                   "name (auto/torch/onnx/onnx-int8) to compare the two backends of the same model")
    p.add_argument("--compare-backend", choices=BACKEND_CHOICES, help="backend of the --compare model (default: --backend)")
    p.add_argument("--snapshot", metavar="OUT.png", help="after --exit-after frames (default 10), save a screenshot of the window and exit")
    p.add_argument("--exit-after", type=int, metavar="N", help="process N frames, then exit 0")
    p.add_argument("--settings", metavar="FILE.ini", help="read and write settings in this INI file instead of the user's")
    p.add_argument("--size", type=_size, metavar="WxH", help="window size (scripted runs: 1600x900)")
    p.add_argument("--timeout", type=float, default=600.0, metavar="S", help="scripted runs fail after S seconds (default 600)")
    p.set_defaults(func=cmd_gui)


def cmd_gui(args: argparse.Namespace) -> int:
    from ..settings import values_from_args

    try:
        from .app import GuiOptions, run_gui
    except ImportError as exc:  # PySide6 missing or broken
        raise PoseappError(f"the GUI needs PySide6 ({exc}); install it with: pip install PySide6-Essentials") from None
    opts = GuiOptions(
        source=args.source or args.source_arg, settings=values_from_args(args), compare=args.compare, compare_backend=args.compare_backend,
        snapshot=Path(args.snapshot) if args.snapshot else None, exit_after=args.exit_after,
        settings_path=Path(args.settings) if args.settings else None, size_wh=args.size, timeout_s=args.timeout,
    )
    return run_gui(opts)


def main(argv: list[str] | None = None) -> int:
    """``poseapp-gui [options]``: the GUI alone, without the other subcommands (the packaged app)."""
    import logging
    import sys

    parser = argparse.ArgumentParser(prog="poseapp-gui", description=DESCRIPTION)
    add_arguments(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, format="poseapp: %(message)s")
    try:
        return int(args.func(args) or 0)
    except PoseappError as exc:
        print(f"poseapp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
