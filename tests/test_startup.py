"""Issue 14: the command line starts fast because building its parser imports no torch.

Timing would be flaky on a busy machine, so the tests check the cause: after
``--help`` of every subcommand and ``poseapp models --json`` none of the heavy
libraries (torch ~3 s to import here, ONNX Runtime, OpenCV, Qt) is loaded.
Each check runs in a fresh interpreter, as the other tests import torch.
"""
from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "onnxruntime", "onnx", "cv2", "PySide6", "ultralytics", "matplotlib")

PROBE = """
import contextlib, io, json, sys
from poseapp.cli import build_parser, main

parser = build_parser()
commands = sorted(parser._subparsers._group_actions[0].choices)
for argv in [["--help"], *([c, "--help"] for c in commands)]:
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            parser.parse_args(argv)
        except SystemExit as exc:
            assert exc.code == 0, argv
out = io.StringIO()
with contextlib.redirect_stdout(out):
    assert main(["models", "--json"]) == 0
print(json.dumps({"commands": commands, "rows": len(json.loads(out.getvalue())),
                  "loaded": sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))}))
"""


def test_help_and_models_import_no_torch() -> None:
    r = subprocess.run([sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{PROBE}"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert {"annotate", "bench", "eval", "export", "gui", "models", "quantize", "train"} <= set(report["commands"])
    assert report["rows"] >= 10
    assert report["loaded"] == [], f"building the parser or 'models --json' imported {report['loaded']}"


def test_help_runs_as_a_module_without_torch() -> None:
    code = ("import runpy, sys\nsys.argv = ['poseapp', '--help']\n"
            "try:\n    runpy.run_module('poseapp', run_name='__main__')\nexcept SystemExit as exc:\n    assert exc.code == 0\n"
            "print('torch' in sys.modules, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "annotate" in r.stdout and r.stderr.strip().splitlines()[-1] == "False"


def test_parser_names_match_the_heavy_modules() -> None:
    """The torch-free names the parser offers are the ones the runtime and the codecs use."""
    from poseapp import defaults, pipeline
    from poseapp.codecs import DECODERS
    from poseapp.runtime import runners

    assert runners.BACKENDS is defaults.BACKENDS
    assert tuple(DECODERS) == defaults.DECODERS
    assert pipeline.DEFAULT_MODEL == defaults.DEFAULT_MODEL and pipeline.default_model is defaults.default_model
