"""The README's figures, generated: ``python docs/readme_figures.py`` rewrites them, ``--check`` lists stale ones.

Every figure on the README that a measurement produced comes from one of two files, never typed by hand:

- ``models/manifest.json`` (written by ``poseapp publish``): the ``poseapp models`` table and the shipped
  weights' accuracy table (coco17 val, coco-mini val, LSP val, int8, both MoveNet teachers, the floors);
- ``docs/benchmarks.json`` (written by ``poseapp bench --json``): end-to-end FPS and the int8 speed-ups;
- ``docs/benchmarks_native.json`` (``poseapp bench --input native --teachers thunder,lightning --json``): persons
  per second of each shipped network as the app runs it, one person a call, beside its AP, and the teachers'.

Each generated block sits between ``<!-- figures:NAME -->`` and ``<!-- /figures:NAME -->`` in README.md, and
the tables of ``docs/benchmarks.md`` (pose stage, app protocol, end to end) likewise come from the two benchmark
files (``bench_blocks``).
``tests/test_readme_figures.py`` fails when the README differs from what these files give, so a publish or
a benchmark run that changes a figure must be followed by this script.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MANIFEST = ROOT / "models" / "manifest.json"
BENCHMARKS = ROOT / "docs" / "benchmarks.json"
NATIVE = ROOT / "docs" / "benchmarks_native.json"
BENCH_MD = ROOT / "docs" / "benchmarks.md"
# the papers' own speed figures, shown beside our row of the same setting (facts from the seeds, not measured here)
PAPER_ANCHORS = {("danet72", "onnx", 8): "58 PPS (paper, 8-core Xeon)", ("lpn50", "torch", 1): "17 FPS (paper, i7-8700K)"}
DEFAULT_FLOOR, FLOOR = 0.36, 0.30  # issue 13: coco17 val AP of the default network and of every network

# (metric key prefix, label) in the order the accuracy table shows them
SETS = (("coco17_val", "coco17 val"), ("coco_mini_val", "coco-mini val"), ("lsp_val", "LSP val"))


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def models_block() -> str:
    """``poseapp models`` as a user sees it (it reads the manifest)."""
    out = subprocess.run([sys.executable, "-m", "poseapp", "models"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.rstrip()
    return f"```\n$ poseapp models\n{out}\n```"


def _native() -> dict:
    return json.loads(NATIVE.read_text(encoding="utf-8")) if NATIVE.is_file() else {}


def weights_block(manifest: dict, native: dict | None = None) -> str:
    """One row per shipped network: AP per validation set (ours / int8 / Thunder / Lightning), its floor, and
    its persons per second as the app runs it (``native``: a ``bench --input native`` report; None: the file)."""
    default = _default_model()
    native = _native() if native is None else native
    app = {(a["model"], a["backend"]): a for a in native.get("app", [])}
    entries = sorted(manifest["models"], key=lambda e: (e["name"] != default, e["name"]))
    head = ["network", "coco17 val AP", "int8", "coco-mini val AP", "LSP val AP",
            "MoveNet Thunder (coco17 / LSP)", "MoveNet Lightning (coco17 / LSP)", "floor (coco17 val)",
            "PPS onnx / int8"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in entries:
        m, q = e.get("metrics", {}), (e.get("int8") or {}).get("metrics", {})
        t = e.get("teacher_metrics", {})
        ap = {key: m.get(f"{key}_ap") for key, _ in SETS}
        int8 = q.get("coco17_val_ap", q.get("coco_mini_val_ap"))
        int8_set = "" if "coco17_val_ap" in q else " (coco-mini)"
        floor = DEFAULT_FLOOR if e["name"] == default else FLOOR
        reached = ap["coco17_val"] is not None and ap["coco17_val"] >= floor
        status = f"{floor:.2f}: {'reached' if reached else 'not yet'}"

        def teacher(name: str) -> str:
            tm = t.get(name, {})
            return f"{_fmt(tm.get('coco17_val_ap'))} / {_fmt(tm.get('lsp_val_ap'))}" if tm else "-"

        pps = " / ".join(f"{app[(e['name'], b)]['pps_median']:.0f}" if (e["name"], b) in app else "-"
                         for b in ("onnx", "onnx-int8"))
        rows.append(f"| {e['name']}{' (default)' if e['name'] == default else ''} | {_fmt(ap['coco17_val'])} | "
                    f"{_fmt(int8)}{int8_set} | {_fmt(ap['coco_mini_val'])} | {_fmt(ap['lsp_val'])} | "
                    f"{teacher('thunder')} | {teacher('lightning')} | {status} | {pps} |")
    note = ("Ground-truth boxes, flip test, each checkpoint's own decoder (`poseapp eval`, measured by `poseapp "
            "publish` into `models/manifest.json`); \"-\": not measured for that checkpoint yet.")
    if app:
        sample = next(iter(app.values()))
        teachers = [f"MoveNet {a['model'].split('-', 1)[1].title()} {a['pps_median']:.0f}" for (m, _), a in app.items()
                    if m.startswith("movenet-")]
        note += (f" PPS: persons per second as the app runs the network on {machine_label(native)}, one person a call: crop, network at its shipped size "
                 f"with its own flip test, decode (`poseapp bench --input native`, {sample['persons']} persons in "
                 f"{native['repeats']} repeats, median)" + (f"; the teachers under the same protocol: {', '.join(teachers)}"
                                                           if teachers else "") + ".")
    return "\n".join(rows) + "\n\n" + note


def _default_model() -> str:
    """The network the app runs by default (the best shipped one: ``poseapp.defaults``)."""
    sys.path.insert(0, str(ROOT))
    from poseapp.defaults import default_model

    return default_model()


def machine_label(bench: dict) -> str:
    """``a 2-core AMD EPYC (avx2), 2 threads``: the CPU a benchmark ran on (``cpu_note`` where the run
    itself recorded no more than the architecture, as runs before 2026-12-06 evening did)."""
    m = bench["machine"]
    return f"a {m['cores']}-core {m.get('cpu_note') or m['cpu']}, {m['threads']} threads"


def speed_block(bench: dict) -> str:
    """End-to-end FPS of the benchmark's video run and the int8 speed-up over fp32 ONNX Runtime at batch 8."""
    parts = []
    video = bench.get("video") or []
    if video:
        v = video[0]
        fps = ", ".join(f"{r['fps']:.0f} FPS with the detector on "
                        + ("every frame" if r["det_every"] == 1 else f"every {r['det_every']} frames") for r in video)
        parts.append(f"End to end on {machine_label(bench)} (YOLOX-Nano detector, "
                     f"{v['model']} on {v['backend']} at {v['input_hw'][0]}x{v['input_hw'][1]}, {v['persons']} persons "
                     f"in the {v['frames']} frames of the dancer clip): {fps}.")
    pose = {(r["model"], r["backend"], r["batch"]): r for r in bench.get("pose", [])}
    ratios = []
    for (model, backend, batch), r in pose.items():
        fp32 = pose.get((model, "onnx", batch))
        if backend == "onnx-int8" and batch == max(b for (m, _, b) in pose if m == model) and fp32:
            ratios.append(f"{model} {r['pps_median'] / fp32['pps_median']:.1f}x "
                          f"({fp32['pps_median']:.0f} -> {r['pps_median']:.0f} PPS)")
    if ratios:
        hw = next(iter(pose.values()))["input_hw"]
        parts.append(f"The pose stage alone at {hw[0]}x{hw[1]}, batch {max(b for (_, _, b) in pose)}: int8 against "
                     f"fp32 ONNX Runtime runs {', '.join(ratios)}.")
    return " ".join(parts) + " Details: [docs/benchmarks.md](docs/benchmarks.md)."


def pose_table(bench: dict) -> str:
    """The pose-stage table of ``poseapp bench`` (one row per model x backend x batch) with the run's peaks."""
    peaks = bench.get("peaks", {})
    rows = ["| model | backend | input | batch | GMACs | PPS | min | max | ms/batch | % of peak | roofline PPS | paper anchor |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in bench.get("pose", []):
        rows.append(f"| {r['model']} | {r['backend']} | {r['input_hw'][0]}x{r['input_hw'][1]} | {r['batch']} | "
                    f"{r['gmacs']:.3f} | {r['pps_median']:.1f} | {r['pps_min']:.1f} | {r['pps_max']:.1f} | "
                    f"{r['ms_per_batch']:.1f} | {r['peak_fraction']:.1%} | {r['roofline_pps']:.0f} | "
                    f"{PAPER_ANCHORS.get((r['model'], r['backend'], r['batch']), '')} |")
    head = (f"{bench.get('persons_per_config')} persons per configuration after warm-up, in {bench.get('repeats')} "
            f"repeats (median, min, max); {machine_label(bench)}, torch {bench['machine']['torch']}, "
            f"onnxruntime {bench['machine']['onnxruntime']}.")
    if peaks:
        head += (f" Peaks measured in the same run: fp32 {peaks['fp32']['gmacs_per_s']:.1f} GMAC/s "
                 f"({peaks['fp32']['source']}), int8 {peaks['int8']['gmacs_per_s']:.1f} GMAC/s "
                 f"({peaks['int8']['source']}); \"% of peak\" is achieved GMAC/s over the peak of the row's kind "
                 "(int8 for onnx-int8), \"roofline PPS\" is that peak / GMACs.")
    return head + "\n\n" + "\n".join(rows)


def app_table(native: dict) -> str:
    """Persons per second one person a call, as the app runs each network (and the teachers)."""
    rows = ["| network | backend | input | flip test | decoder | PPS | min | max |", "|---|---|---|---|---|---|---|---|"]
    for a in native.get("app", []):
        rows.append(f"| {a['model']} | {a['backend']} | {a['input_hw'][0]}x{a['input_hw'][1]} | "
                    f"{'on' if a['flip_test'] else 'off'} | {a['decoder']} | {a['pps_median']:.1f} | "
                    f"{a['pps_min']:.1f} | {a['pps_max']:.1f} |")
    if len(rows) == 2:
        return "Not measured yet: run `poseapp bench --input native --teachers thunder,lightning --json docs/benchmarks_native.json`."
    a0 = native["app"][0]
    return (f"{a0['persons']} persons per row in {native['repeats']} repeats (median, min, max), "
            f"{machine_label(native)}.\n\n" + "\n".join(rows))


def video_table(bench: dict) -> str:
    """End-to-end FPS and milliseconds per stage of the benchmark's video run."""
    video = bench.get("video") or []
    if not video:
        return "No video run in docs/benchmarks.json."
    stages = [k for k in video[0]["stage_ms"]]
    rows = ["| model | backend | input | detect every | FPS | " + " | ".join(f"{k} (ms)" for k in stages) + " |",
            "|" + "---|" * (5 + len(stages))]
    for v in video:
        rows.append(f"| {v['model']} | {v['backend']} | {v['input_hw'][0]}x{v['input_hw'][1]} | {v['det_every']} | "
                    f"{v['fps']:.1f} | " + " | ".join(f"{v['stage_ms'].get(k, 0.0):.1f}" for k in stages) + " |")
    return (f"{video[0]['frames']} frames, {video[0]['persons']} persons (the fastest configuration of the pose table "
            "at its checkpoint's size, smoothing and drawing on).\n\n" + "\n".join(rows))


def bench_blocks() -> dict[str, str]:
    bench = json.loads(BENCHMARKS.read_text(encoding="utf-8"))
    return {"bench-pose": pose_table(bench), "bench-app": app_table(_native()), "bench-video": video_table(bench)}


def blocks() -> dict[str, str]:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    bench = json.loads(BENCHMARKS.read_text(encoding="utf-8"))
    return {"models": models_block(), "weights": weights_block(manifest), "speed": speed_block(bench)}


def _pattern(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- figures:{name} -->\n)(.*?)(<!-- /figures:{name} -->)", re.S)


def render(text: str, new: dict[str, str]) -> str:
    for name, body in new.items():
        pat = _pattern(name)
        if not pat.search(text):
            raise SystemExit(f"no <!-- figures:{name} --> block in the file: add the two marker lines where it goes")
        text = pat.sub(lambda m: m.group(1) + body + "\n" + m.group(3), text)
    return text


def stale(text: str, new: dict[str, str]) -> list[str]:
    """Names of the blocks whose text differs from what the files give."""
    out = []
    for name, body in new.items():
        m = _pattern(name).search(text)
        if m is None or m.group(2) != body + "\n":
            out.append(name)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only list the blocks that are out of date (exit 1 if any)")
    args = ap.parse_args(argv)
    out = 0
    for path, new in ((README, blocks()), (BENCH_MD, bench_blocks())):
        text = path.read_text(encoding="utf-8")
        if args.check:
            names = stale(text, new)
            if names:
                print(f"{path.relative_to(ROOT)} figures out of date: {', '.join(names)}: run python docs/readme_figures.py")
                out = 1
            continue
        path.write_text(render(text, new), encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {len(new)} figure blocks written ({', '.join(new)})")
    return out


if __name__ == "__main__":
    sys.exit(main())
