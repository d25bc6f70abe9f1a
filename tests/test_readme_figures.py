"""README figures come from models/manifest.json and docs/benchmarks.json (docs/readme_figures.py), not by hand."""
from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("readme_figures", REPO / "docs" / "readme_figures.py")
rf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rf)


def test_readme_figures_are_what_the_manifest_and_benchmarks_give() -> None:
    """Fails after a publish or a benchmark run until ``python docs/readme_figures.py`` is run."""
    assert rf.stale(rf.README.read_text(encoding="utf-8"), rf.blocks()) == []


def test_a_new_figure_in_the_files_changes_the_readme() -> None:
    manifest = json.loads(rf.MANIFEST.read_text(encoding="utf-8"))
    bench = json.loads(rf.BENCHMARKS.read_text(encoding="utf-8"))
    changed = copy.deepcopy(manifest)
    default = rf._default_model()  # the default network is held to the higher floor
    entry = next(e for e in changed["models"] if e["name"] == default)
    entry["metrics"]["coco17_val_ap"] = 0.3712
    row = next(line for line in rf.weights_block(changed).splitlines() if line.startswith(f"| {default} (default)"))
    assert "| 0.371 |" in row and "0.36: reached" in row
    assert "0.371" not in rf.weights_block(manifest)
    fast = copy.deepcopy(bench)
    fast["video"][0]["fps"] = 123.4
    assert "123 FPS" in rf.speed_block(fast) and "123 FPS" not in rf.speed_block(bench)
    text = rf.README.read_text(encoding="utf-8")
    new = {**rf.blocks(), "weights": rf.weights_block(changed)}
    assert rf.stale(text, new) == ["weights"]
    assert rf.stale(rf.render(text, new), new) == []


def test_app_pps_from_the_native_benchmark_sit_beside_the_ap() -> None:
    manifest = json.loads(rf.MANIFEST.read_text(encoding="utf-8"))
    native = {"machine": {"threads": 2, "cores": 2, "cpu": "AMD EPYC (avx2)"}, "repeats": 3,
              "app": [{"model": "sfm", "backend": "onnx", "pps_median": 61.4, "persons": 150},
                      {"model": "sfm", "backend": "onnx-int8", "pps_median": 118.6, "persons": 150},
                      {"model": "movenet-thunder", "backend": "onnx", "pps_median": 77.2, "persons": 150}]}
    block = rf.weights_block(manifest, native)
    row = next(line for line in block.splitlines() if line.startswith("| sfm"))
    assert row.endswith("| 61 / 119 |")
    assert "MoveNet Thunder 77" in block and "150 persons in 3 repeats" in block
    assert "on a 2-core AMD EPYC (avx2), 2 threads" in block  # the CPU the figures hold for
    bare = rf.weights_block(manifest, {})
    assert next(line for line in bare.splitlines() if line.startswith("| sfm")).endswith("| - / - |")


def test_benchmarks_md_tables_are_what_the_benchmark_files_give() -> None:
    """docs/benchmarks.md's pose, app and end-to-end tables are generated too; a new figure changes them."""
    text = rf.BENCH_MD.read_text(encoding="utf-8")
    assert rf.stale(text, rf.bench_blocks()) == []
    bench = json.loads(rf.BENCHMARKS.read_text(encoding="utf-8"))
    fast = copy.deepcopy(bench)
    fast["pose"][0]["pps_median"] = 987.6
    fast["video"][0]["fps"] = 321.0
    assert "| 987.6 |" in rf.pose_table(fast) and "| 987.6 |" not in rf.pose_table(bench)
    assert "| 321.0 |" in rf.video_table(fast)
    native = {"machine": {"threads": 2, "cores": 2, "cpu": "x86_64", "cpu_note": "Intel Xeon"}, "repeats": 3,
              "app": [{"model": "movenet-thunder", "backend": "onnx", "input_hw": [256, 256], "flip_test": False,
                       "decoder": "regression", "pps_median": 77.2, "pps_min": 70.0, "pps_max": 80.0, "persons": 150}]}
    assert "| movenet-thunder | onnx | 256x256 | off | regression | 77.2 | 70.0 | 80.0 |" in rf.app_table(native)
    assert "a 2-core Intel Xeon, 2 threads" in rf.app_table(native)
