"""Ship a trained checkpoint: ``models/<name>.pt`` + manifest entry + model card.

``poseapp publish --model NAME --runs DIR [DIR ...]`` takes the ``best.pt`` of
the last training run (the runs are the stages that led to it, in order);
``poseapp publish --model NAME --remeasure`` takes the shipped ``models/<name>.pt``
and the training record of its manifest entry (after a change to the evaluation
code, on a machine without the runs),

1. stores its weights in fp16 as ``models/<name>.pt`` (with ``input_hw``,
   ``num_joints``, the recipe name and the run's ``RunSpec``, whose decoder
   becomes the one that measures best on the primary set);
2. measures, through ``poseapp eval``'s code path on the stored file (ONNX Runtime
   fp32, ``MEASURE_BACKEND``; the entry's ``measured_on``): COCO AP
   with ground-truth boxes on coco17 val (the argmax + quarter-offset, DARK and
   Beta-Soft-Argmax decoders with flip test: the best becomes the checkpoint's
   decoder and every headline figure is measured with it; no flip) and
   coco-mini val2017, and AP on LSPet
   5501-6000 (OKS over its 12 limb joints, area = the padded joint box);
   the MoveNet teacher is scored on the same boxes when its extra is installed;
3. writes ``models/<name>.int8.onnx``, the int8 ONNX model for
   ``--backend onnx-int8``, calibrated on 128 person crops of coco-mini
   train2017, and measures its AP on the primary set (flip, the checkpoint's decoder);
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

from ..codecs import RunSpec
from ..defaults import CROP_SCALES, DECODERS
from ..errors import PoseappError
from ..nets import count_macs, count_params, create_model, get_spec
from ..runtime import read_checkpoint, save_checkpoint
from ..runtime.weights import models_dir, sha256_of
from .checkpoint import BEST
from .runlog import epoch_records, read_log

MEASURE_BACKEND = "onnx"  # the backend every fp32 figure of the manifest is measured on
_BACKEND_WORDS = {"onnx": "ONNX Runtime in fp32, `--backend onnx`", "torch": "PyTorch in fp32, `--backend torch`"}
COCO17_VAL = ("coco17/annotations/person_keypoints_val.json", "coco17/images")
COCO_VAL = ("coco-mini/annotations/person_keypoints_val2017.json", "coco-mini/val2017")
COCO_TRAIN = ("coco-mini/annotations/person_keypoints_train2017.json", "coco-mini/train2017")  # int8 calibration
LSP_IMAGES = "lsp-extended/images"
TEACHERS = ("thunder", "lightning")
DECODER_LABELS = {"dark": "DARK", "beta": "Beta-Soft-Argmax"}  # how the figures name a decoder (else its name)


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
    """The validation sets, the primary one (coco17 val) first."""
    sets = [EvalSet("coco17_val", shared_data / COCO17_VAL[0], shared_data / COCO17_VAL[1],
                    "coco17 val (643 COCO val2017 people, ground-truth boxes)"),
            EvalSet("coco_mini_val", shared_data / COCO_VAL[0], shared_data / COCO_VAL[1],
                    "coco-mini val2017 (68 people, ground-truth boxes)")]
    if lsp_val is not None:
        sets.append(EvalSet("lsp_val", lsp_val, shared_data / LSP_IMAGES,
                            "LSPet 5501-6000 (500 people, 12 limb joints, box = joint extent + 30%)"))
    for s in sets:
        if not s.ann.is_file() or not s.images.is_dir():
            raise PoseappError(f"evaluation data {s.ann} / {s.images} not found: pass --shared-data DIR "
                               "(the folder with coco17/, coco-mini/ and lsp-extended/) and run 'poseapp prepare-lsp'")
    return sets


def measure(model: str, weights: Path, sets: list[EvalSet], progress: bool = False,
            crop_scales: tuple[float, ...] = CROP_SCALES) -> dict:
    """Every figure the manifest records for ``weights``, through ``poseapp eval``'s code path on ONNX Runtime in
    fp32 (``eval --backend onnx``: what the app runs where ``auto`` does not pick int8). Measured 2026-12-07:
    lpn50's figures the same as on the torch backend to 4 decimals; sfm on 200 coco17 val persons 17 vs 37 s,
    and the overfit test's two publishes of sfm 226 vs 578 s.

    On the primary set (the first): first each crop scale of ``crop_scales`` with the checkpoint's decoder
    (flip test, ``{set}_ap_crop_<scale>``); the best (``best_crop_scale``) is the crop the checkpoint will run
    with. Then each decoder with that crop (``{set}_ap_<decoder>``); the best (``best_decoder``) is the one
    the checkpoint will run with, and every headline figure (``{set}_ap``, AP50..AR, per joint;
    ``{set}_ap_noflip``, and the other sets) is measured with both: what ``poseapp eval`` gives by default."""
    from .config import EvalConfig
    from .datasets import SourceSpec, build_source
    from .evaluation import build_runner, evaluate_source

    runner = build_runner(model, MEASURE_BACKEND, weights)
    out: dict = {}
    decoder, box_scale = runner.spec.codec.decoder, runner.spec.box_scale

    def run(source, flip: bool, decoder: str, box_scale: float):
        return evaluate_source(runner, source, EvalConfig(flip_test=flip, decoder=decoder, box_scale=box_scale),
                               workers=2, progress=progress)

    for i, s in enumerate(sets):
        source = build_source(SourceSpec("coco", s.ann, s.images))
        by_decoder = {}
        if i == 0:
            by_scale = {}
            for c in crop_scales or (box_scale,):
                by_scale[c] = run(source, True, decoder, c)
                out[f"{s.key}_ap_crop_{c:g}"] = round(float(by_scale[c].metrics["AP"]), 4)
            box_scale = best_crop_scale(out, s.key, box_scale)
            out["box_scale"] = box_scale
            by_decoder[decoder] = by_scale[box_scale]
            for d in DECODERS:
                if d not in by_decoder:
                    by_decoder[d] = run(source, True, d, box_scale)
                out[f"{s.key}_ap_{d}"] = round(float(by_decoder[d].metrics["AP"]), 4)
            decoder = best_decoder(out, s.key)
            out[f"{s.key}_ap_noflip"] = round(float(run(source, False, decoder, box_scale).metrics["AP"]), 4)
        res = by_decoder.get(decoder) or run(source, True, decoder, box_scale)
        out[f"{s.key}_ap"] = round(float(res.metrics["AP"]), 4)
        for k in ("AP50", "AP75", "APm", "APl", "AR"):
            out[f"{s.key}_{k.lower()}"] = round(float(res.metrics[k]), 4)
        out[f"{s.key}_per_joint_oks"] = per_joint_record(res.metrics)
    return out


def best_crop_scale(metrics: dict, key: str, default: float = 1.25) -> float:
    """The crop scale (crop = box x scale) with the highest AP (flip test) on the set ``key``; on a tie the
    one nearest ``default`` (the training crops'). ``default`` when none was measured."""
    ap = {float(k.rsplit("_", 1)[1]): v for k, v in metrics.items() if k.startswith(f"{key}_ap_crop_")}
    return max(ap, key=lambda c: (ap[c], -abs(c - default)), default=default)


def best_decoder(metrics: dict, key: str) -> str:
    """The decoder with the highest AP (flip test) on the set ``key``, argmax on a tie (``{key}_ap`` stands
    for argmax in entries that predate ``{key}_ap_argmax``)."""
    ap = {d: metrics.get(f"{key}_ap_{d}") for d in DECODERS}
    if ap["argmax"] is None:
        ap["argmax"] = metrics.get(f"{key}_ap")
    return max((d for d in DECODERS if ap[d] is not None), key=lambda d: (ap[d], d == "argmax"), default="argmax")


def make_int8(model: str, weights: Path, out: Path, shared_data: Path, sets: list[EvalSet]) -> dict:
    """The int8 ONNX model of ``weights`` at ``out`` and its manifest record (with its AP on the primary set)."""
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
    runner = OnnxRunner(path, backend="onnx-int8")  # runs with the decoder its metadata (the checkpoint's) names
    res = evaluate_source(runner, source, EvalConfig(decoder=runner.spec.codec.decoder), workers=2)
    entry["metrics"] = {f"{sets[0].key}_ap": round(float(res.metrics["AP"]), 4)}
    return entry


def measure_teachers(shared_data: Path, sets: list[EvalSet]) -> dict:
    """Each MoveNet teacher on the same boxes: ``{name: {set_ap, set_per_joint_oks}}``.

    Lightning needs ``poseapp[teacher]`` and is left out without it."""
    from .config import EvalConfig
    from .datasets import SourceSpec, build_source
    from .evaluation import evaluate_predictions
    from .teacher import load_teacher, teacher_predictions

    out: dict = {}
    for name in TEACHERS:
        try:
            teacher = load_teacher(name, shared_data, threads=2)
        except PoseappError:
            continue
        rec = {}
        for s in sets:
            source = build_source(SourceSpec("coco", s.ann, s.images))
            res = evaluate_predictions(source, teacher_predictions(teacher, source.samples), EvalConfig())
            rec[f"{s.key}_ap"] = round(float(res.metrics["AP"]), 4)
            rec[f"{s.key}_per_joint_oks"] = per_joint_record(res.metrics)
        out[name] = rec
    return out


def teacher_figures(entry: dict, name: str) -> dict:
    """One teacher's figures from an entry (older entries hold Lightning's, flat)."""
    t = entry.get("teacher_metrics") or {}
    if any(k in t for k in TEACHERS):
        return t.get(name) or {}
    return t if name == "lightning" else {}


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
        records = read_log(log)
        epochs = epoch_records(records)
        # the latest start (a resumed run may have changed its data)
        start = next((r for r in reversed(records) if r.get("event") == "start"), None)
        seconds = sum(float(r.get("seconds", 0.0)) for r in epochs.values())
        best = max((r["metric"] for r in epochs.values() if r.get("metric") is not None), default=None)
        elapsed, curve = 0.0, []
        for n in sorted(epochs):
            elapsed += float(epochs[n].get("seconds", 0.0))
            if epochs[n].get("metric") is not None:
                curve.append([n, round(elapsed / 3600, 3), round(float(epochs[n]["metric"]), 4)])
        soup = next((r for r in reversed(records) if r.get("event") == "soup"), None)  # `poseapp soup`: no epochs
        if soup is not None:
            seconds, best = float(soup.get("seconds", 0.0)), soup.get("metric")
            curve = [[0, round(seconds / 3600, 3), round(float(best), 4)]] if best is not None else []
        val = (cfg["data"].get("val") or {}).get("ann")
        teacher = cfg.get("teacher") or {}
        aug = cfg.get("augment") or {}
        stages.append({
            "run": run.name, "recipe": cfg.get("name", ""), "recipe_file": recipe_file(cfg.get("name", "")),
            "input_hw": cfg["data"]["input_hw"],
            "epochs": len(epochs), "persons_per_epoch": (start or {}).get("persons"),
            "batch_size": cfg["train"]["batch_size"], "lr": cfg["optim"]["lr"], "schedule": cfg["optim"]["schedule"],
            "sigma": cfg["data"].get("sigma"),
            "train_seconds": round(seconds), "best_val_ap": best, "val_ann": Path(val).name if val else None,
            "out_dir": cfg["train"].get("out_dir") or f"runs/{cfg.get('name', run.name)}",
            # what the run trained in (a bf16 recipe falls back to fp32 on a CPU without bf16), else the recipe's
            "curve": curve, "precision": (start or {}).get("precision") or cfg["train"].get("precision", "auto"),
            "compiled": bool(cfg["train"].get("compile", False)), "cpu": (start or {}).get("cpu"),
            "teacher": ({k: teacher.get(k) for k in ("name", "fill", "min_score", "kd_weight")}
                        if teacher.get("name") and soup is None else None),  # a soup trains nothing
            "augment": {k: aug[k] for k in ("shift", "occlusion_prob", "erase_prob", "color_prob", "blur_prob")
                        if aug.get(k)},
            "sources": [{"ann": Path(t["ann"]).name, "repeat": t.get("repeat", 1), "limit": t.get("limit")}
                        for t in cfg["data"]["train"]],
            **({"soup": soup.get("ingredients", [])} if soup is not None else {}),
        })
    return {"stages": stages, "cpu_hours": round(sum(s["train_seconds"] for s in stages) / 3600, 2)}


def recipe_file(name: str, root: Path = Path("training/configs")) -> str | None:
    """The recipe YAML a run was made from (``training/configs/**/<name>.yaml``), as a repo path."""
    found = sorted(root.glob(f"**/{name}.yaml")) if name else []
    return found[0].as_posix() if found else None


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
            progress: bool = False, crop_scales: tuple[float, ...] = CROP_SCALES) -> dict:
    """Store, measure and describe one checkpoint; returns its manifest entry.

    ``crop_scales``: the crops (box x scale) tried on the primary set; the best is the one the file runs with."""
    if not crop_scales or any(not 0.5 <= c <= 2.0 for c in crop_scales):
        raise PoseappError(f"crop scales {list(crop_scales)}: give one or more between 0.5 and 2 (crop = box x scale), "
                           f"e.g. {' '.join(f'{c:g}' for c in CROP_SCALES)}")
    spec = get_spec(model)
    out_dir = out_dir or models_dir()
    previous = next((m for m in read_manifest_file(out_dir / "manifest.json")["models"] if m.get("name") == model), {})
    if not runs:  # re-measure what ships: its weights, its recorded training
        if not previous.get("training", {}).get("stages"):
            raise PoseappError(f"{model} has no manifest entry in {out_dir} to re-measure: pass its training run "
                               "folder(s) with --runs")
        weights = weights or out_dir / previous.get("file", f"{model}.pt")
    else:
        weights = weights or runs[-1] / BEST
    if not weights.is_file():
        raise PoseappError(f"checkpoint {weights} not found: train first, or pass --weights")
    ckpt = read_checkpoint(weights)
    if ckpt.get("model") not in (None, model):
        raise PoseappError(f"{weights} holds {ckpt.get('model')} weights, not {model}")
    if int(ckpt.get("num_joints", 17)) != 17:
        raise PoseappError(f"{weights} predicts {ckpt.get('num_joints')} joints; the app ships COCO-17 networks")
    input_hw = [int(v) for v in ckpt.get("input_hw") or spec.input_hw]
    sets = eval_sets(shared_data, lsp_val if lsp_val and lsp_val.is_file() else None)
    summary = run_summary(runs, previous.get("training", {}).get("stages")) if runs else previous["training"]

    out_dir.mkdir(parents=True, exist_ok=True)
    net = create_model(model)
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ckpt["state_dict"].items()})
    target = out_dir / f"{model}.pt"
    tmp_target = out_dir / f".{model}.pt.new"
    run_spec = RunSpec.from_checkpoint_meta(ckpt, model, spec.input_hw).replace(model=model, input_hw=tuple(input_hw))

    def store(run_spec: RunSpec) -> None:
        save_checkpoint(net, tmp_target, model, half=True, num_joints=17, input_hw=input_hw, layout="coco",
                        recipe=summary["stages"][-1]["recipe"], starter=True, run_spec=run_spec)

    store(run_spec)
    try:
        metrics = measure(model, tmp_target, sets, progress, tuple(crop_scales))  # the figures of the fp16 file that ships
        decoder = best_decoder(metrics, sets[0].key)
        box_scale = float(metrics.pop("box_scale", run_spec.box_scale))
        if (decoder, box_scale) != (run_spec.codec.decoder, run_spec.box_scale):
            # the file runs with the decoder and crop that measured best (same tensors)
            run_spec = run_spec.with_overrides(decoder=decoder).replace(box_scale=box_scale)
            store(run_spec)
    except BaseException:
        tmp_target.unlink(missing_ok=True)
        raise
    teacher = measure_teachers(shared_data, sets)
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
        "measured_on": MEASURE_BACKEND,
        "teacher_metrics": teacher,
        "int8": int8,
        "run_spec": run_spec.to_dict(),
        "training": summary,
        "date": _dt.date.today().isoformat(),
    }
    manifest_path = out_dir / "manifest.json"
    manifest = read_manifest_file(manifest_path)
    manifest["models"] = [m for m in manifest["models"] if m.get("name") != model] + [entry]
    manifest["models"].sort(key=lambda m: m["name"])
    manifest["note"] = ("Weights trained on a 2-core CPU from coco17 train (COCO val2017 + train2017 images), "
                        "LSP-extended and coco-mini train, not the papers' checkpoints; figures measured by "
                        "'poseapp publish' (primary: coco17 val).")
    write_json_atomic(manifest_path, manifest)
    (out_dir / f"{model}.md").write_text(model_card(entry, sets), encoding="utf-8")
    return entry


FLOOR_AP = 0.30  # issue 13: every shipped network at least this on coco17 val
DEFAULT_FLOOR_AP = 0.36  # issue 13: the default network (Lightning: 0.32 on the same boxes)


def _status(name: str, ap: float | None, thunder: float | None, lightning: float | None) -> str:
    if ap is None:
        return "**Not measured.**"
    from ..pipeline import DEFAULT_MODEL

    floor = DEFAULT_FLOOR_AP if name == DEFAULT_MODEL else FLOOR_AP
    vs = ", ".join(f"MoveNet {n} {v:.3f}" for n, v in (("Thunder", thunder), ("Lightning", lightning)) if v is not None)
    vs = f" (on the same boxes: {vs})" if vs else ""
    if ap >= floor:
        return f"Status: coco17 val AP {ap:.3f}{vs}, above the project's {floor:.2f} floor."
    return (f"**Status: below the floor.** coco17 val AP {ap:.3f}{vs} is below the project's {floor:.2f} floor: "
            "skeletons are rough. This file is the best checkpoint so far, not a finished model.")


def run_spec_lines(e: dict, sets: list[EvalSet]) -> list[str]:
    """How the checkpoint runs (its ``run_spec``): the decoder that measured best and the flip-test default."""
    if not e.get("run_spec"):
        return []
    c = e["run_spec"]["codec"]
    m, k = e["metrics"], sets[0].key
    figures = ", ".join(f"{n} {_fmt(_decoder_ap(m, k, d))}"
                        for d, n in ((d, DECODER_LABELS.get(d, d)) for d in DECODERS))
    crops = sorted((float(key.rsplit("_", 1)[1]), v) for key, v in m.items() if key.startswith(f"{k}_ap_crop_"))
    scale = float(e["run_spec"].get("box_scale", 1.25))
    crop = (f"crops of the box x {scale:g}, the best on {sets[0].short} (AP with flip test, crop box x "
            + ", ".join(f"{c:g}: {_fmt(v)}" for c, v in crops) + ")") if crops else f"crops of the box x {scale:g}"
    return [f"- Runs with: the {c['decoder']} decoder, the best on {sets[0].short} (AP with flip test: {figures}), "
            f"{crop}, flip test {'on' if c['flip_test'] else 'off'} by default; the checkpoint and its ONNX files "
            "record all three (`--decoder`, `--box-scale` and `--flip`/`--no-flip` override them)."]


def _decoder(e: dict) -> str:
    """The decoder an entry's checkpoint runs with (entries without a run spec: argmax)."""
    return (e.get("run_spec") or {}).get("codec", {}).get("decoder", "argmax")


def _decoder_ap(m: dict, key: str, decoder: str):
    """AP on ``key`` with ``decoder`` and flip test (older entries: ``{key}_ap`` is argmax's)."""
    v = m.get(f"{key}_ap_{decoder}")
    return m.get(f"{key}_ap") if v is None and decoder == "argmax" else v


def _recipe_path(stage: dict) -> str:
    return stage.get("recipe_file") or f"training/configs/starter/{stage['recipe']}.yaml"


def _run_dir(stage: dict) -> str:
    return stage.get("out_dir") or f"runs/starter/{stage['run']}"


def _ingredient_name(ing: dict) -> str:
    """A soup ingredient by the recipe that trained it, with its validation AP where recorded."""
    name = ing.get("recipe") or Path(ing["path"]).name
    return name + (f" {ing['metric']:.3f}" if isinstance(ing.get("metric"), (int, float)) else "")


def _ingredient_path(ing: dict, earlier: list[dict]) -> str:
    """Where a soup ingredient lies after the earlier stages are retrained: the best.pt of the stage whose
    recipe made it (the shipped file it may have been read from is replaced by the soup itself), else its path."""
    for st in reversed(earlier):
        if ing.get("recipe") and st.get("recipe") == ing["recipe"]:
            return f"{_run_dir(st)}/best.pt"
    return ing["path"]


def _cpu_line(stages: list[dict]) -> str:
    """Which CPU trained which stages; stages logged before the trainer recorded it ran on the Intel Xeon
    (AVX-512) of the project's first sessions."""
    by_cpu: dict[str, list[str]] = {}
    for s in stages:
        by_cpu.setdefault(s.get("cpu") or "an Intel Xeon with AVX-512", []).append(s["run"])
    return "; ".join(f"{', '.join(runs)} on {cpu}" for cpu, runs in by_cpu.items())


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.3f}"


def _source_line(ann: str, repeat: int, stages: str) -> str:
    times = "" if repeat == 1 else f", listed {repeat} times per epoch"
    if ann == "person_keypoints_train.json":
        return (f"- coco17 train: 4,532 people with the official COCO keypoints on 1,661 images: 1,360 images of "
                f"**COCO val2017** (not the papers' split, which trains on train2017 only: train2017 images cannot "
                f"be had here) and 301 of train2017, downscaled to at most 480 px{times} ({stages}).")
    if ann == "lsp_train.json":
        return (f"- LSP-extended images 1-5500 (one sports person each; its 12 limb joints, left/right as the "
                f"person's own; no face joints){times} ({stages}).")
    if ann == "person_keypoints_train2017.json":
        return f"- coco-mini train2017: 86 people with the official COCO keypoints{times} ({stages})."
    return f"- {ann}{times} ({stages})."


def training_data_lines(tr: dict) -> list[str]:
    seen: dict[tuple[str, int], list[str]] = {}
    for st in tr["stages"]:
        for src in st.get("sources", []):
            seen.setdefault((src["ann"], src.get("repeat", 1)), []).append(st["run"])
    lines = [_source_line(ann, rep, ", ".join(runs)) for (ann, rep), runs in seen.items()]
    by_teacher: dict[str, list[str]] = {}  # one line per distinct teacher setting, naming every stage that used it
    for st in tr["stages"]:
        t = st.get("teacher")
        if not t:
            continue
        kd = (f"; plus a distillation term (weight {t['kd_weight']}): the heatmaps against Gaussians at all of "
              "the teacher's keypoints, each weighted by its score") if t.get("kd_weight") else ""
        fill = (f"filled every joint the labels lack where its score was at least {t['min_score']}, "
                "weighted by that score" if t.get("fill") else "filled nothing")
        text = (f"MoveNet SinglePose {t['name'].title()} (`../shared/data/teachers/`) ran once "
                f"per training person; it {fill}{kd}.")
        by_teacher.setdefault(text, []).append(st["run"])
    lines += [f"- Teacher ({', '.join(runs)}): {text}" for text, runs in by_teacher.items()]
    if any(st["run"].endswith(("_s0", "_s1", "_s2")) and not st.get("teacher") for st in tr["stages"]):
        lines.append("- Starter stages (`*_s0`-`*_s2`): LSP's face joints were filled by MoveNet Lightning "
                     "(score >= 0.3, `poseapp prepare-lsp --teacher lightning`).")
    lines.append("- Held out of training: coco17 val, coco-mini val2017 and LSPet 5501-6000 (the validation sets below).")
    return lines


def curve_lines(tr: dict) -> list[str]:
    """Validation AP against cumulative training hours, over all stages (the set each stage validated on)."""
    rows, offset = [], 0.0
    for st in tr["stages"]:
        for epoch, hours, ap in st.get("curve") or []:
            rows.append(f"| {offset + hours:.2f} | {st['run']} | {epoch} | {st.get('val_ann') or '-'} | {ap:.3f} |")
        offset += st["train_seconds"] / 3600
    if not rows:
        return []
    return ["", "Validation AP against training hours (the trainer's validation after each epoch: flip test, "
            "ground-truth boxes, the recipe's decoder and crop, x1.25 unless it names another, so the figures "
            "can sit below the headline one measured with the shipped decoder and crop; "
            "`person_keypoints_val.json` is coco17 val, `person_keypoints_val2017.json` coco-mini val):", "",
            "| CPU hours | stage | epoch | val set | AP |", "|---|---|---|---|---|", *rows]


def per_joint_lines(m: dict, t: dict, sets: list[EvalSet]) -> list[str]:
    """Where AP is lost: each joint's mean OKS term, ours beside the teacher's (absent for older entries)."""
    cols = []  # (header, {joint: value})
    for s in sets:
        if m.get(f"{s.key}_per_joint_oks"):
            cols.append((f"{s.short}: ours", m[f"{s.key}_per_joint_oks"]))
            if t.get(f"{s.key}_per_joint_oks"):
                cols.append((f"{s.short}: Thunder", t[f"{s.key}_per_joint_oks"]))
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
    return [f"- Mean per-joint OKS below MoveNet Thunder's: {'; '.join(parts)}."] if parts else []


def model_card(e: dict, sets: list[EvalSet]) -> str:
    m, tr = e["metrics"], e["training"]
    thunder, lightning = teacher_figures(e, "thunder"), teacher_figures(e, "lightning")
    spec = get_spec(e["name"])
    h, w = e["input_hw"]
    p = sets[0].key
    lines = [
        f"# {e['name']}: weights trained on a 2-core CPU",
        "",
        f"**These weights were trained on a 2-core CPU, not the paper's checkpoint.** The paper reports "
        f"COCO val2017 AP {spec.paper_coco_ap or '-'} after full COCO train2017 training on GPUs "
        "(`training/configs/` has that recipe).",
        "",
        _status(e["name"], m.get(f"{p}_ap"), thunder.get(f"{p}_ap"), lightning.get(f"{p}_ap")),
        "",
        f"- Architecture: {e['architecture']}; {e['params_m']} M parameters, {e['gmacs']} GMACs at {h}x{w} "
        "(the design choices are in the module docstring under `poseapp/nets/`).",
        f"- File: `models/{e['file']}` ({e['bytes'] / 1e6:.1f} MB, fp16 storage, loaded as fp32), sha256 `{e['sha256']}`.",
        f"- Input: {h}x{w} crops (the runtime reads the size from the checkpoint), heatmaps {h // 4}x{w // 4}.",
        *run_spec_lines(e, sets),
        "",
        "## Training data",
        "",
        *training_data_lines(tr),
        "",
        "## Schedule",
        "",
        "| stage | recipe | input | epochs | persons/epoch | batch | lr | schedule | precision | CPU time | best val AP |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in tr["stages"]:
        if s.get("soup"):  # `poseapp soup`: a weight average, no optimiser step
            lines.append(f"| {s['run']} | `{_recipe_path(s)}` (BatchNorm data, validation) | {s['input_hw'][0]}x"
                         f"{s['input_hw'][1]} | 0: the mean of {len(s['soup'])} checkpoints' weights ("
                         f"{', '.join(_ingredient_name(i) for i in s['soup'])}) | - | - | - | - | "
                         f"{s.get('precision', 'fp32')} | {s['train_seconds'] / 3600:.2f} h | {_fmt(s['best_val_ap'])} |")
            continue
        lines.append(f"| {s['run']} | `{_recipe_path(s)}` | {s['input_hw'][0]}x{s['input_hw'][1]} | "
                     f"{s['epochs']} | {s['persons_per_epoch']} | {s['batch_size']} | {s['lr']} | {s['schedule']} | "
                     f"{s.get('precision', 'fp32')}{' compiled' if s.get('compiled') else ''} | {s['train_seconds'] / 3600:.2f} h | {_fmt(s['best_val_ap'])} |")
    extra = sorted({k for s in tr["stages"] for k in (s.get("augment") or {})})
    lines += [
        "",
        "Adam, MSE heatmap loss with target weights, Gaussian targets, flip / scale / rotation / half-body "
        "augmentation" + (f" plus {', '.join(extra)}" if extra else "") + f"; 2 CPU threads. Total: "
        f"{tr['cpu_hours']:.2f} hours of training (wall clock on 2 CPU cores, validation excluded; "
        f"{_cpu_line(tr['stages'])}).",
        *curve_lines(tr),
        "",
        "## Figures (measured by `poseapp publish`, the `poseapp eval` code path, on the fp16 file run by "
        f"{_BACKEND_WORDS.get(e.get('measured_on', 'torch'), e.get('measured_on'))})",
        "",
        f"| set | ours: flip, {_decoder(e)} | no flip | argmax | DARK | Beta-Soft-Argmax | AP50 | AP75 | MoveNet Thunder "
        "| MoveNet Lightning |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, s in enumerate(sets):
        k = s.key
        variants = (f"{_fmt(m.get(f'{k}_ap_noflip'))} | {_fmt(_decoder_ap(m, k, 'argmax'))} | "
                    f"{_fmt(m.get(f'{k}_ap_dark'))} | {_fmt(m.get(f'{k}_ap_beta'))}" if i == 0 else " |  |  | ")
        lines.append(f"| {s.label} | {_fmt(m.get(f'{k}_ap'))} | {variants} | {_fmt(m.get(f'{k}_ap50'))} | "
                     f"{_fmt(m.get(f'{k}_ap75'))} | {_fmt(thunder.get(f'{k}_ap'))} | {_fmt(lightning.get(f'{k}_ap'))} |")
        if i == 0 and e.get("int8"):
            q = e["int8"]
            lines.append(f"| the same, int8 ONNX model (`models/{q['file']}`, `--backend onnx-int8`) | "
                         f"{_fmt(q['metrics'].get(f'{k}_ap'))} | | | | | | | | |")
    lines += per_joint_lines(m, thunder, sets)
    lines += [
        "",
        "COCO keypoint AP (pycocotools COCOeval) with ground-truth person boxes, the box widened to the input's "
        f"aspect and x{float((e.get('run_spec') or {}).get('box_scale', 1.25)):g} (the checkpoint's crop); the teachers "
        "get a square crop with 1.25 padding and no flip. The LSP figure is COCO OKS "
        "over the 12 limb joints with the padded joint box as the OKS area. coco-mini val is small (68 people): "
        "differences of a few points are within its noise.",
        "",
        "## Limits",
        "",
        "- Trained on about 10,000 people (4,600 COCO, 5,500 LSP sports poses), far fewer than COCO train2017's "
        "150,000: crowded scenes, heavy occlusion, unusual viewpoints and small people are weaker than a "
        "COCO-trained model.",
        *gap_lines(m, thunder, sets),
        "",
        "## Reproduce",
        "",
        "```bash",
        "poseapp prepare-lsp",
    ]
    for i, s in enumerate(tr["stages"]):  # a later stage's recipe names the earlier one's best.pt as train.init
        if s.get("soup"):
            lines.append(f"poseapp soup --config {_recipe_path(s)} --weights "
                         + " ".join(_ingredient_path(ing, tr["stages"][:i]) for ing in s["soup"]) + f" --out {_run_dir(s)}")
        else:
            lines.append(f"poseapp train --config {_recipe_path(s)}")
    lines += [f"poseapp publish --model {e['name']} --runs " + " ".join(_run_dir(s) for s in tr["stages"]),
              "```", ""]
    return "\n".join(lines)
