"""Issue 14: a checkpoint says how to run it (``RunSpec``), through .pt and ONNX metadata; old files get
today's defaults; ``--decoder`` / ``--flip`` win; the ONNX backends build no PyTorch module when the file exists."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from poseapp.cli import build_parser, main
from poseapp.codecs import COCO_FLIP_PAIRS, HeatmapCodec, RunSpec
from poseapp.defaults import BACKENDS
from poseapp.estimator import TopDownEstimator
from poseapp.nets import create_model
from poseapp.runtime import RUNNERS, OnnxRunner, create_runner, load_model, read_metadata, save_checkpoint
from poseapp.runtime import model as model_module
from poseapp.runtime.model import locate_weights
from poseapp.runtime.quantize import cached_int8_path
from poseapp.runtime.runners import onnx_path_for

NET = "litehrnet18"  # small and quick to export; no shipped weights
HW = (128, 96)
SPEC = RunSpec(model=NET, input_hw=HW, codec=HeatmapCodec(sigma=1.5, decoder="beta", decoder_params={"beta": 120.0},
                                                         flip_test=True), box_scale=1.3)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / f"{NET}.pt"
    torch.manual_seed(1)
    save_checkpoint(create_model(NET), path, NET, run_spec=SPEC)
    return path


def test_spec_round_trips_as_data() -> None:
    assert RunSpec.from_dict(json.loads(json.dumps(SPEC.to_dict()))) == SPEC
    assert RunSpec.from_onnx_metadata(SPEC.to_onnx_metadata()) == SPEC


def test_checkpoint_records_the_spec(ckpt) -> None:
    loaded = load_model(NET, ckpt)
    assert loaded.spec == SPEC and loaded.input_hw == HW
    ref = locate_weights(NET, ckpt)
    assert ref.spec == SPEC and ref.weights_id == loaded.weights_id


def test_old_checkpoint_loads_with_todays_defaults(tmp_path) -> None:
    """Written before RunSpec: only num_joints / input_hw / layout (or a bare state dict)."""
    old = tmp_path / "old.pt"
    torch.save({"model": NET, "state_dict": create_model(NET).state_dict(), "num_joints": 17, "input_hw": [128, 96],
                "layout": "coco", "config_name": "x"}, old)
    bare = tmp_path / "bare.pt"
    torch.save(create_model(NET).state_dict(), bare)
    for path, hw in ((old, (128, 96)), (bare, (256, 192))):
        spec = load_model(NET, path).spec
        assert spec == locate_weights(NET, path).spec
        assert spec.input_hw == hw and spec.num_joints == 17 and spec.layout == "coco"
        assert spec.flip_pairs == COCO_FLIP_PAIRS and spec.box_scale == 1.25
        assert spec.mean_rgb == (0.485, 0.456, 0.406) and spec.std_rgb == (0.229, 0.224, 0.225)
        assert spec.codec == HeatmapCodec(stride=4, sigma=2.0, decoder="argmax", flip_test=False)


def test_onnx_file_runs_without_its_checkpoint(ckpt, tmp_path) -> None:
    out = tmp_path / "alone.onnx"
    assert main(["export", "--model", NET, "--weights", str(ckpt), "--out", str(out)]) == 0
    meta = read_metadata(out)
    assert (meta["input_h"], meta["input_w"], meta["num_keypoints"]) == ("128", "96", "17")
    runner = OnnxRunner(out)  # no .pt involved
    assert runner.spec == SPEC and runner.input_hw == HW
    est = TopDownEstimator(runner)
    assert (est.decoder, est.flip_test, est.cropper.input_hw, est.cropper.scale) == ("beta", True, HW, 1.3)
    frame = np.random.default_rng(0).integers(0, 255, (120, 160, 3), np.uint8)
    poses = est.estimate(frame, np.array([[20, 10, 80, 110]], np.float32))
    assert poses.keypoints.shape == (1, 17, 2) and poses.scores.shape == (1, 17)


def test_overrides_win_over_the_checkpoint(ckpt) -> None:
    from poseapp.pipeline import Pipeline, PipelineConfig

    runner = create_runner(NET, "torch", ckpt)
    pick = {}
    for name, cfg in (("own", PipelineConfig()), ("override", PipelineConfig(decoder="dark", flip_test=False))):
        pipe = Pipeline(cfg, detector=lambda frame: None, runner=runner)
        pick[name] = (pipe.estimator.decoder, pipe.estimator.flip_test, pipe.describe()["decoder"])
    assert pick == {"own": ("beta", True, "beta"), "override": ("dark", False, "dark")}
    est = TopDownEstimator(runner, decoder="dark")
    assert est.spec.codec.decoder_params == {}  # beta's parameters do not follow the decoder overridden
    args = build_parser().parse_args(["annotate", "x.mp4"])
    assert args.decoder is None and args.flip_test is None  # not given: the checkpoint decides
    args = build_parser().parse_args(["annotate", "x.mp4", "--decoder", "dark", "--no-flip"])
    assert args.decoder == "dark" and args.flip_test is False


def test_eval_uses_the_checkpoints_decoder_unless_told(ckpt, shared_data, tmp_path) -> None:
    root = shared_data / "coco-mini"
    base = ["eval", "--model", NET, "--weights", str(ckpt), "--ann", str(root / "annotations/person_keypoints_val2017.json"),
            "--images", str(root / "val2017"), "--limit", "2", "-q"]
    for extra, decoder in (([], "beta"), (["--decoder", "dark"], "dark")):
        out = tmp_path / f"{decoder}.json"
        assert main([*base, *extra, "--json", str(out)]) == 0
        figures = json.loads(out.read_text())
        assert figures["decoder"] == decoder and figures["flip_test"] is True and figures["input_hw"] == list(HW)


def test_onnx_backends_build_no_torch_module_when_the_file_exists(ckpt, monkeypatch) -> None:
    ref = locate_weights(NET, ckpt)
    fp32 = onnx_path_for(ref)  # exported now (this builds the module once)
    int8 = cached_int8_path(ref)
    int8.write_bytes(fp32.read_bytes())  # stands in for 'poseapp quantize' output: any ONNX file of these weights

    def refuse(*a, **k):
        raise AssertionError("the PyTorch module was built")

    monkeypatch.setattr(model_module, "create_model", refuse)
    x = np.zeros((2, 3, *HW), np.float32)
    for backend in ("onnx", "onnx-int8"):
        r = create_runner(NET, backend, ckpt)
        assert r.backend == backend and r.spec == SPEC and r(x).shape == (2, 17, 32, 24)
    with pytest.raises(AssertionError, match="module was built"):
        create_runner(NET, "torch", ckpt)


def test_one_class_per_backend() -> None:
    assert tuple(RUNNERS) == BACKENDS
    assert all(callable(getattr(cls, "from_weights", None)) for cls in RUNNERS.values())


def test_publish_runs_each_checkpoint_with_its_best_decoder() -> None:
    from poseapp.training.publish import EvalSet, best_decoder, run_spec_lines

    m = {"coco17_val_ap_argmax": 0.30, "coco17_val_ap_dark": 0.31, "coco17_val_ap_beta": 0.29}
    assert best_decoder(m, "coco17_val") == "dark"
    assert best_decoder({"coco17_val_ap_argmax": 0.3, "coco17_val_ap_dark": 0.3}, "coco17_val") == "argmax"  # tie
    assert best_decoder({"coco_mini_val_ap": 0.07, "coco_mini_val_ap_beta": 0.06}, "coco_mini_val") == "argmax"  # old entry
    assert best_decoder({}, "coco17_val") == "argmax"
    spec = RunSpec(model="sfm").with_overrides(decoder="dark")
    sets = [EvalSet("coco17_val", Path("a.json"), Path("img"), "coco17 val (643 people)")]
    line = run_spec_lines({"run_spec": spec.to_dict(), "metrics": m}, sets)[0]
    assert "dark decoder, the best on coco17 val" in line and "DARK 0.310" in line and "argmax 0.300" in line


def test_publish_runs_each_checkpoint_with_its_best_crop() -> None:
    from poseapp.training.publish import EvalSet, best_crop_scale, run_spec_lines

    m = {"coco17_val_ap_crop_1": 0.262, "coco17_val_ap_crop_1.05": 0.261, "coco17_val_ap_crop_1.25": 0.236,
         "coco_mini_val_ap_crop_1.25": 0.9, "coco17_val_ap_dark": 0.262}
    assert best_crop_scale(m, "coco17_val") == 1.0
    assert best_crop_scale({"coco17_val_ap_crop_1.1": 0.3, "coco17_val_ap_crop_1.2": 0.3}, "coco17_val") == 1.2  # tie
    assert best_crop_scale({}, "coco17_val") == 1.25 and best_crop_scale({}, "coco17_val", 1.1) == 1.1
    spec = RunSpec(model="lpn50").with_overrides(decoder="dark").replace(box_scale=1.0)
    sets = [EvalSet("coco17_val", Path("a.json"), Path("img"), "coco17 val (643 people)")]
    line = run_spec_lines({"run_spec": spec.to_dict(), "metrics": m}, sets)[0]
    assert "crops of the box x 1, the best on coco17 val" in line and "1: 0.262, 1.05: 0.261, 1.25: 0.236" in line


def test_card_names_each_teacher_setting_once_with_its_stages() -> None:
    from poseapp.training.publish import training_data_lines
    thunder = {"name": "thunder", "fill": True, "min_score": 0.3, "kd_weight": 0.5}
    tr = {"stages": [
        {"run": "a_s1", "sources": [{"ann": "lsp_train.json"}]},
        {"run": "a_gt", "sources": [{"ann": "lsp_train.json"}], "teacher": dict(thunder)},
        {"run": "a_192", "sources": [{"ann": "lsp_train.json"}], "teacher": dict(thunder)},
        {"run": "a_fill", "sources": [{"ann": "lsp_train.json"}], "teacher": {**thunder, "kd_weight": 0}},
    ]}
    teacher_lines = [ln for ln in training_data_lines(tr) if ln.startswith("- Teacher")]
    assert len(teacher_lines) == 2, teacher_lines
    assert teacher_lines[0].startswith("- Teacher (a_gt, a_192): MoveNet SinglePose Thunder")
    assert "distillation term (weight 0.5)" in teacher_lines[0]
    assert teacher_lines[1].startswith("- Teacher (a_fill):") and "distillation" not in teacher_lines[1]
