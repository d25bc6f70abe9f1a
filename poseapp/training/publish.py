"""Ship a trained checkpoint: ``models/<name>.pt`` + manifest entry + model card.

``poseapp publish --model NAME --runs DIR [DIR ...]`` takes the ``best.pt`` of
the last training run (the runs are the stages that led to it, in order),

1. stores its weights in fp16 as ``models/<name>.pt`` (with ``input_hw``,
   ``num_joints`` and the recipe name);
2. measures, through ``poseapp eval``'s code path on the stored file: COCO AP
   on coco-mini val2017 with ground-truth boxes (flip test on and off; the
   argmax + quarter-offset, DARK and Beta-Soft-Argmax decoders) and AP on LSPet
   5501-6000 (OKS over its 12 limb joints, area = the padded joint box);
   the MoveNet teacher is scored on the same boxes when its extra is installed;
3. writes ``models/<name>.int8.onnx``, the int8 ONNX model for
   ``--backend onnx-int8``, calibrated on 128 person crops of coco-mini
   train2017, and measures its AP on coco-mini val2017 (flip, argmax);
4. writes the entry (file, sha256, input size, figures, training summary) into
   ``models/manifest.json`` and the card ``models/<name>.md``.

Nothing here is hard-coded: the figures in the manifest are what this run
measured, and ``tests/test_shipped_weights.py`` re-measures them.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import PoseappError
from ..nets import count_macs, count_params, create_model, get_spec
from ..runtime import read_checkpoint, save_checkpoint
from ..runtime.weights import models_dir, sha256_of
from .checkpoint import BEST

COCO_VAL = ("coco-mini/annotations/person_keypoints_val2017.json", "coco-mini/val2017")
COCO_TRAIN = ("coco-mini/annotations/person_keypoints_train2017.json", "coco-mini/train2017")  # int8 calibration
LSP_IMAGES = "lsp-extended/images"
TEACHER = "teachers/movenet_singlepose_lightning_int8.tflite"
DECODERS = ("argmax", "dark", "beta")


@dataclass
class EvalSet:
    key: str  # metric prefix in the manifest
    ann: Path
    images: Path
    label: str

    @property
    def short(self) -> str:  # the label without its parenthesis, for table headers
        return self.label.split(" (")[0]


def eval_sets(shared_data: Path, lsp_val: Path | None) -> list[EvalSet]:
    sets = [EvalSet("coco_mini_val", shared_data / COCO_VAL[0], shared_data / COCO_VAL[1],
                    "coco-mini val2017 (68 people, ground-truth boxes)")]
    if lsp_val is not None:
        sets.append(EvalSet("lsp_val", lsp_val, shared_data / LSP_IMAGES,
                            "LSPet 5501-6000 (500 people, 12 limb joints, box = joint extent + 30%)"))
    for s in sets:
        if not s.ann.is_file() or not s.images.is_dir():
            raise PoseappError(f"evaluation data {s.ann} / {s.images} not found: pass --shared-data DIR "
                               "(the folder with coco-mini/ and lsp-extended/) and run 'poseapp prepare-lsp'")
    return sets


def measure(model: str, weights: Path, sets: list[EvalSet], progress: bool = False) -> dict:
    """Every figure the manifest records for ``weights`` (torch backend, as ``poseapp eval``)."""
    from .config import EvalConfig
    from .datasets import SourceSpec, build_source
    from .evaluation import build_runner, evaluate_source

    runner = build_runner(model, "torch", weights)
    out: dict = {}
    for s in sets:
        source = build_source(SourceSpec("coco", s.ann, s.images))
        variants = [(True, "argmax", "ap")]
        if s.key == "coco_mini_val":
            variants += [(False, "argmax", "ap_noflip")] + [(True, d, f"ap_{d}") for d in DECODERS[1:]]
        for flip, decoder, name in variants:
            res = evaluate_source(runner, source, EvalConfig(flip_test=flip, decoder=decoder), workers=2,
                                  progress=progress)
            out[f"{s.key}_{name}"] = round(float(res.metrics["AP"]), 4)
            if name == "ap":
                for k in ("AP50", "AP75", "APm", "APl", "AR"):
                    out[f"{s.key}_{k.lower()}"] = round(float(res.metrics[k]), 4)
                out[f"{s.key}_per_joint_oks"] = per_joint_record(res.metrics)
    return out


def make_int8(model: str, weights: Path, out: Path, shared_data: Path, sets: list[EvalSet]) -> dict:
    """The int8 ONNX model of ``weights`` at ``out`` and its manifest record (with its AP)."""
    from ..runtime import OnnxRunner, load_model
    from ..runtime.quantize import int8_entry, quantize_model
    from .config import EvalConfig
    from .datasets import SourceSpec, build_source
    from .evaluation import evaluate_source

    ann, images = shared_data / COCO_TRAIN[0], shared_data / COCO_TRAIN[1]
    if not ann.is_file():
        raise PoseappError(f"int8 calibration data {ann} not found: pass --shared-data DIR")
    path = quantize_model(load_model(model, weights), ann, images, out)
    entry = int8_entry(path, weights)
    source = build_source(SourceSpec("coco", sets[0].ann, sets[0].images))
    res = evaluate_source(OnnxRunner(path, backend="onnx-int8"), source, EvalConfig(), workers=2)
    entry["metrics"] = {f"{sets[0].key}_ap": round(float(res.metrics["AP"]), 4)}
    return entry


def measure_teacher(shared_data: Path, sets: list[EvalSet]) -> dict:
    """The MoveNet teacher on the same boxes (needs ``poseapp[teacher]``); {} without it."""
    try:
        import ai_edge_litert  # noqa: F401
    except ImportError:
        return {}
    from .config import EvalConfig
    from .datasets import SourceSpec, build_source
    from .evaluation import evaluate_predictions
    from .teacher import MoveNetTeacher, teacher_predictions

    teacher = MoveNetTeacher(shared_data / TEACHER)
    out = {}
    for s in sets:
        source = build_source(SourceSpec("coco", s.ann, s.images))
        res = evaluate_predictions(source, teacher_predictions(teacher, source.samples), EvalConfig())
        out[f"{s.key}_ap"] = round(float(res.metrics["AP"]), 4)
        out[f"{s.key}_per_joint_oks"] = per_joint_record(res.metrics)
    return out


def per_joint_record(metrics: dict) -> dict[str, float]:
    """Joint name -> mean OKS term (``poseapp eval --per-joint``), for the card's where-it-loses table."""
    return {name: round(r["oks"], 3) for name, r in metrics.get("per_joint", {}).items()}


def run_summary(runs: list[Path], recorded: list[dict] | None = None) -> dict:
    """Epochs, samples and CPU time of the training stages, from their logs.

    A stage before the last whose log is gone (an earlier machine's run,
    published then; its folder may hold only the weights the next stage starts
    from) is taken from ``recorded``, the stages of the model's current
    manifest entry, by the folder's name."""
    stages = []
    earlier = {s.get("run"): s for s in recorded or []}
    for run in runs:
        log = run / "log.jsonl"
        cfg_file = run / "config.yaml"
        if not log.is_file() or not cfg_file.is_file():
            if run.name in earlier and run != runs[-1]:
                stages.append(dict(earlier[run.name]))
                continue
            raise PoseappError(f"{run} is not a training run folder (no log.jsonl / config.yaml)")
        cfg = yaml.safe_load(cfg_file.read_text(encoding="utf-8"))
        epochs = {}
        start = None
        for line in log.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if rec.get("event") == "epoch":
                epochs[rec["epoch"]] = rec  # a resumed epoch replaces the interrupted one
            elif rec.get("event") == "start":
                start = rec  # the latest (a resumed run may have changed its data)
        seconds = sum(float(r.get("seconds", 0.0)) for r in epochs.values())
        best = max((r["metric"] for r in epochs.values() if r.get("metric") is not None), default=None)
        stages.append({
            "run": run.name, "recipe": cfg.get("name", ""), "input_hw": cfg["data"]["input_hw"],
            "epochs": len(epochs), "persons_per_epoch": (start or {}).get("persons"),
            "batch_size": cfg["train"]["batch_size"], "lr": cfg["optim"]["lr"], "schedule": cfg["optim"]["schedule"],
            "sigma": cfg["data"].get("sigma"),
            "train_seconds": round(seconds), "best_val_ap": best,
            "sources": [{"ann": Path(t["ann"]).name, "repeat": t.get("repeat", 1), "limit": t.get("limit")}
                        for t in cfg["data"]["train"]],
        })
    return {"stages": stages, "cpu_hours": round(sum(s["train_seconds"] for s in stages) / 3600, 2)}


def read_manifest_file(path: Path) -> dict:
    if not path.is_file():
        return {"models": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PoseappError(f"{path} is not valid JSON ({exc.msg}, line {exc.lineno}): fix or delete it") from None
    return data if isinstance(data.get("models"), list) else {"models": []}


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def publish(model: str, runs: list[Path], *, weights: Path | None = None, out_dir: Path | None = None,
            shared_data: Path = Path("../shared/data"), lsp_val: Path | None = Path("runs/lsp/lsp_val.json"),
            progress: bool = False) -> dict:
    """Store, measure and describe one checkpoint; returns its manifest entry."""
    spec = get_spec(model)
    if not runs:
        raise PoseappError("pass the training run folder(s) with --runs")
    weights = weights or runs[-1] / BEST
    ckpt = read_checkpoint(weights)
    if ckpt.get("model") not in (None, model):
        raise PoseappError(f"{weights} holds {ckpt.get('model')} weights, not {model}")
    if int(ckpt.get("num_joints", 17)) != 17:
        raise PoseappError(f"{weights} predicts {ckpt.get('num_joints')} joints; the app ships COCO-17 networks")
    input_hw = [int(v) for v in ckpt.get("input_hw") or spec.input_hw]
    sets = eval_sets(shared_data, lsp_val if lsp_val and lsp_val.is_file() else None)
    out_dir = out_dir or models_dir()
    previous = next((m for m in read_manifest_file(out_dir / "manifest.json")["models"] if m.get("name") == model), {})
    summary = run_summary(runs, previous.get("training", {}).get("stages"))

    out_dir.mkdir(parents=True, exist_ok=True)
    net = create_model(model)
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ckpt["state_dict"].items()})
    target = out_dir / f"{model}.pt"
    tmp_target = out_dir / f".{model}.pt.new"
    save_checkpoint(net, tmp_target, model, half=True, num_joints=17, input_hw=input_hw, layout="coco",
                    recipe=summary["stages"][-1]["recipe"], starter=True)
    try:
        metrics = measure(model, tmp_target, sets, progress)  # the figures of the fp16 file that ships
    except BaseException:
        tmp_target.unlink(missing_ok=True)
        raise
    teacher = measure_teacher(shared_data, sets)
    int8_target = out_dir / f"{model}.int8.onnx"
    tmp_int8 = out_dir / f".{model}.int8.onnx.new"
    try:
        int8 = make_int8(model, tmp_target, tmp_int8, shared_data, sets)
    except BaseException:
        tmp_target.unlink(missing_ok=True)
        tmp_int8.unlink(missing_ok=True)
        raise
    int8["file"] = int8_target.name
    os.replace(tmp_target, target)  # both files land only once everything is measured
    os.replace(tmp_int8, int8_target)

    entry = {
        "name": model,
        "file": target.name,
        "sha256": sha256_of(target),
        "bytes": target.stat().st_size,
        "input_hw": input_hw,
        "storage": "fp16",
        "params_m": round(count_params(net) / 1e6, 3),
        "gmacs": round(count_macs(net, tuple(input_hw)) / 1e9, 3),
        "architecture": spec.paper,
        "starter": True,
        "metrics": metrics,
        "teacher_metrics": teacher,
        "int8": int8,
        "training": summary,
        "date": _dt.date.today().isoformat(),
    }
    manifest_path = out_dir / "manifest.json"
    manifest = read_manifest_file(manifest_path)
    manifest["models"] = [m for m in manifest["models"] if m.get("name") != model] + [entry]
    manifest["models"].sort(key=lambda m: m["name"])
    manifest["note"] = ("Starter weights trained on a 2-core CPU from LSP-extended + coco-mini train "
                        "(not the papers' checkpoints); figures measured by 'poseapp publish'.")
    write_json_atomic(manifest_path, manifest)
    (out_dir / f"{model}.md").write_text(model_card(entry, sets), encoding="utf-8")
    return entry


FLOOR_AP = 0.25  # issue 6: every shipped network at least this on coco-mini val


def _status(ap: float | None, teacher: float | None) -> str:
    if ap is None:
        return "**Not measured.**"
    vs = f" (the MoveNet teacher: {teacher:.3f} on the same boxes)" if teacher is not None else ""
    if ap >= FLOOR_AP:
        return f"Status: coco-mini val AP {ap:.3f}{vs}, above the project's {FLOOR_AP} floor for starter weights."
    return (f"**Status: below the floor.** coco-mini val AP {ap:.3f}{vs} is below the project's {FLOOR_AP} floor: "
            "skeletons are rough. This file is the best checkpoint so far, not a finished model.")


def _coco_repeat(training: dict) -> str:
    reps = {str(src["repeat"]) for st in training["stages"] for src in st.get("sources", [])
            if src["ann"].startswith("person_keypoints")}
    return " / ".join(sorted(reps)) or "1"


def _sigmas(training: dict) -> str:
    vals = [f"{st['sigma']:g}" if st.get("sigma") is not None else "2" for st in training["stages"]]
    return vals[0] if len(set(vals)) == 1 else " / ".join(f"{v} ({st['run']})" for v, st in zip(vals, training["stages"]))


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def per_joint_lines(m: dict, t: dict, sets: list[EvalSet]) -> list[str]:
    """Where AP is lost: each joint's mean OKS term, ours beside the teacher's (absent for older entries)."""
    cols = []  # (header, {joint: value})
    for s in sets:
        if m.get(f"{s.key}_per_joint_oks"):
            cols.append((f"{s.short}: ours", m[f"{s.key}_per_joint_oks"]))
            if t.get(f"{s.key}_per_joint_oks"):
                cols.append((f"{s.short}: teacher", t[f"{s.key}_per_joint_oks"]))
    if not cols:
        return []
    joints = list(dict.fromkeys(j for _, c in cols for j in c))
    lines = ["", "Mean OKS term per joint (1 = on the annotation, over the persons that label the joint; "
             "`poseapp eval --per-joint`):", "",
             "| joint | " + " | ".join(h for h, _ in cols) + " |", "|---|" + "---|" * len(cols)]
    for j in joints:
        lines.append(f"| {j} | " + " | ".join(f"{c[j]:.2f}" if j in c else "-" for _, c in cols) + " |")
    return lines


def gap_lines(m: dict, t: dict, sets: list[EvalSet]) -> list[str]:
    """The mean per-joint OKS gap to the teacher on each set (from the measured tables)."""
    parts = []
    for s in sets:
        ours, theirs = m.get(f"{s.key}_per_joint_oks") or {}, t.get(f"{s.key}_per_joint_oks") or {}
        common = [j for j in ours if j in theirs]
        if common:
            gap = sum(theirs[j] - ours[j] for j in common) / len(common)
            parts.append(f"{gap:.2f} on {s.short}")
    if not parts:
        return []
    return [f"- Mean per-joint OKS below the teacher's: {'; '.join(parts)}. A gap much larger on coco-mini than on "
            "LSP means the loss is the domain (occluded, partial and crowded COCO people, 86 of them in training) "
            "more than the fit: more COCO-like training people would help most."]


def model_card(e: dict, sets: list[EvalSet]) -> str:
    m, t, tr = e["metrics"], e["teacher_metrics"], e["training"]
    spec = get_spec(e["name"])
    h, w = e["input_hw"]
    lines = [
        f"# {e['name']}: starter weights",
        "",
        f"**These are starter weights trained on a 2-core CPU, not the paper's checkpoint.** The paper reports "
        f"COCO val2017 AP {spec.paper_coco_ap or '-'} after full COCO training on GPUs (`training/configs/` has that "
        "recipe).",
        "",
        _status(m.get("coco_mini_val_ap"), t.get("coco_mini_val_ap")),
        "",
        f"- Architecture: {e['architecture']}; {e['params_m']} M parameters, {e['gmacs']} GMACs at {h}x{w} "
        "(the design choices are in the module docstring under `poseapp/nets/`).",
        f"- File: `models/{e['file']}` ({e['bytes'] / 1e6:.1f} MB, fp16 storage, loaded as fp32), sha256 `{e['sha256']}`.",
        f"- Input: {h}x{w} crops (the runtime reads the size from the checkpoint), heatmaps {h // 4}x{w // 4}.",
        "",
        "## Training data",
        "",
        "- LSP-extended images 1-5500 (one sports person each; its 12 limb joints, left/right as the person's own). "
        "LSP has no face joints: the MoveNet SinglePose Lightning int8 teacher (`../shared/data/teachers/`) filled "
        "nose, eyes and ears where its score was at least 0.3 (`poseapp prepare-lsp`). The teacher labels nothing else.",
        f"- coco-mini train2017: 86 people with the official COCO keypoints, listed {_coco_repeat(tr)} times per epoch.",
        "- Held out: coco-mini val2017 and LSPet 5501-6000 (the two validation sets below).",
        "",
        "## Schedule",
        "",
        "| stage | recipe | input | epochs | persons/epoch | batch | lr | schedule | CPU time | best val AP |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in tr["stages"]:
        lines.append(f"| {s['run']} | `training/configs/starter/{s['recipe']}.yaml` | {s['input_hw'][0]}x{s['input_hw'][1]} | "
                     f"{s['epochs']} | {s['persons_per_epoch']} | {s['batch_size']} | {s['lr']} | {s['schedule']} | "
                     f"{s['train_seconds'] / 3600:.2f} h | {_fmt(s['best_val_ap'])} |")
    lines += [
        "",
        f"Adam, MSE heatmap loss with target weights, Gaussian targets (sigma {_sigmas(tr)} heatmap px), flip / scale / rotation / "
        f"half-body augmentation; 2 CPU threads, fp32. Total: {tr['cpu_hours']:.2f} hours of training (wall clock on a "
        "2-core Xeon, validation excluded).",
        "",
        "## Figures (measured by `poseapp publish`, the `poseapp eval` code path, on the fp16 file)",
        "",
        "| set | ours: flip, argmax | no flip | DARK | Beta-Soft-Argmax | AP50 | AP75 | teacher (same boxes) |",
        "|---|---|---|---|---|---|---|---|",
        f"| {sets[0].label} | {_fmt(m.get('coco_mini_val_ap'))} | {_fmt(m.get('coco_mini_val_ap_noflip'))} | "
        f"{_fmt(m.get('coco_mini_val_ap_dark'))} | {_fmt(m.get('coco_mini_val_ap_beta'))} | "
        f"{_fmt(m.get('coco_mini_val_ap50'))} | {_fmt(m.get('coco_mini_val_ap75'))} | {_fmt(t.get('coco_mini_val_ap'))} |",
    ]
    q = e.get("int8")
    if q:
        lines.append(f"| the same, int8 ONNX model (`models/{q['file']}`, `--backend onnx-int8`) | "
                     f"{_fmt(q['metrics'].get('coco_mini_val_ap'))} | | | | | | |")
    if "lsp_val_ap" in m:
        lines.append(f"| {sets[1].label} | {_fmt(m['lsp_val_ap'])} | | | | {_fmt(m.get('lsp_val_ap50'))} | "
                     f"{_fmt(m.get('lsp_val_ap75'))} | {_fmt(t.get('lsp_val_ap'))} |")
    lines += per_joint_lines(m, t, sets)
    lines += [
        "",
        "COCO keypoint AP (pycocotools COCOeval) with ground-truth person boxes, the box widened to the input's "
        "aspect and x1.25; the teacher gets a square crop with 1.25 padding and no flip. The LSP figure is COCO OKS "
        "over the 12 limb joints with the padded joint box as the OKS area. coco-mini val is small (68 people): "
        "differences of a few points are within its noise.",
        "",
        "## Limits",
        "",
        "- Trained on about 6,000 people, mostly full-body sports poses: crowded scenes, heavy occlusion, "
        "unusual viewpoints and small people are weaker than a COCO-trained model.",
        "- Face joints were learned from the teacher's pseudo-labels and the 86 coco-mini people.",
        *gap_lines(m, t, sets),
        "",
        "## Reproduce",
        "",
        "```bash",
        "poseapp prepare-lsp",
    ]
    for s in tr["stages"]:  # a later stage's recipe names the earlier one's best.pt as train.init
        lines.append(f"poseapp train --config training/configs/starter/{s['recipe']}.yaml")
    lines += [f"poseapp publish --model {e['name']} --runs " + " ".join(f"runs/starter/{s['run']}" for s in tr["stages"]),
              "```", ""]
    return "\n".join(lines)
