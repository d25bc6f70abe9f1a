"""What the starter recipes add to the trainer: repeated sources, init weights,
precise BatchNorm statistics, the foreground-weighted loss, the recipes themselves."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from poseapp.cli import main
from poseapp.errors import PoseappError
from poseapp.nets import create_model
from poseapp.runtime import save_checkpoint
from poseapp.training.config import load_config
from poseapp.training.losses import JointsMSELoss
from poseapp.training.trainer import Trainer

STARTER = Path(__file__).resolve().parents[2] / "training" / "configs" / "starter"
STARTER_MODELS = ("sfm", "danet72", "lpn50", "litehrnet18-cbam")


def small_config(tmp_path: Path, shared_data: Path, **train) -> Path:
    cfg = {
        "model": "sfm",
        "data": {"root": str(shared_data / "coco-mini"), "layout": "coco", "input_hw": [128, 96], "workers": 0,
                 "train": [{"type": "coco", "ann": "annotations/person_keypoints_train2017.json",
                            "images": "train2017", "limit": 8, **train.pop("source", {})}]},
        "augment": {"enabled": False},
        "train": {"epochs": 1, "batch_size": 8, "out_dir": str(tmp_path / "run"), "progress": False,
                  "val_every": 0, **train},
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def test_repeat_lists_a_source_n_times(shared_data: Path, tmp_path: Path) -> None:
    t = Trainer(load_config(small_config(tmp_path, shared_data, source={"repeat": 3})))
    assert len(t.dataset) == 24
    with pytest.raises(PoseappError, match="repeat must be at least 1"):
        Trainer(load_config(small_config(tmp_path, shared_data, source={"repeat": 0})))


def test_init_starts_from_given_weights(shared_data: Path, tmp_path: Path, capsys) -> None:
    torch.manual_seed(123)
    src = create_model("sfm")
    init = save_checkpoint(src, tmp_path / "init.pt", "sfm", half=True, num_joints=17, input_hw=[256, 192])
    t = Trainer(load_config(small_config(tmp_path, shared_data, init=str(init))))
    for (name, a), b in zip(t.model.state_dict().items(), src.state_dict().values()):
        assert torch.allclose(a.float(), b.float().half().float()), name
    wrong = save_checkpoint(create_model("lpn50"), tmp_path / "lpn.pt", "lpn50")
    assert main(["train", "--config", str(small_config(tmp_path, shared_data, init=str(wrong)))]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "lpn50" in err and "Traceback" not in err


def test_precise_bn_makes_eval_mode_match_train_mode(shared_data: Path, tmp_path: Path) -> None:
    """Stale running statistics are replaced by exact ones: eval output == batch-statistics output."""
    t = Trainer(load_config(small_config(tmp_path, shared_data)))
    batch = next(iter(t.loader))["image"].contiguous(memory_format=torch.channels_last)
    for m in t.model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_var.mul_(50.0).add_(3.0)
            m.running_mean.add_(1.0)
    with torch.no_grad():
        t.model.train()
        reference = t.model(batch)
        t.model.eval()
        stale = t.model(batch)
        t._precise_bn(t.model, 1)  # the one batch of 8 (no augmentation): the same images
        t.model.eval()
        fixed = t.model(batch)
    err_stale = (stale - reference).abs().max().item()
    err_fixed = (fixed - reference).abs().max().item()
    assert err_fixed < 0.02 * reference.abs().max().item() and err_fixed < 0.05 * err_stale
    assert all(m.momentum == 0.1 for m in t.model.modules() if isinstance(m, torch.nn.BatchNorm2d))


def test_ema_of_the_weights(shared_data: Path, tmp_path: Path) -> None:
    from poseapp.training.ema import WeightEMA

    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1), torch.nn.BatchNorm2d(2))
    ema = WeightEMA(model, decay=0.5)
    w0 = model[0].weight.detach().clone()
    expected = w0.clone()
    for n in range(4):
        with torch.no_grad():
            model[0].weight.add_(1.0)
        d = min(0.5, (1 + n) / (10 + n))
        expected = d * expected + (1 - d) * model[0].weight.detach()
        ema.update(model)
    assert torch.allclose(ema.materialize(model)[0].weight, expected)
    # in a run: validation and best.pt use the average, last.pt keeps the raw weights and the average's state.
    # Epoch 1, then epoch 2 resumed: the average after each epoch is known, so best.pt is checked against
    # the one of the epoch it was kept at, whichever that is (the first validation always makes a best.pt)
    cfg = small_config(tmp_path, shared_data, epochs=2, ema_decay=0.9, precise_bn=1, val_every=1)
    val = ["data.val={type: coco, ann: annotations/person_keypoints_train2017.json, images: train2017, limit: 4}"]
    Trainer(load_config(cfg, val + ["train.run_epochs=1"])).fit()
    after_1 = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    best_1 = torch.load(tmp_path / "run" / "best.pt", weights_only=True)
    k = next(iter(after_1["ema"]["shadow"]))
    assert best_1["epoch"] == 1 and torch.allclose(best_1["state_dict"][k].float(), after_1["ema"]["shadow"][k])
    t = Trainer(load_config(cfg, val), resume=True)
    t.fit()
    last = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    best = torch.load(tmp_path / "run" / "best.pt", weights_only=True)
    assert last["ema"]["updates"] == 2 and set(last["ema"]["shadow"]) == {k for k, _ in t.model.named_parameters()}
    assert not torch.allclose(last["ema"]["shadow"][k], last["state_dict"][k].float())
    assert not torch.allclose(last["ema"]["shadow"][k], after_1["ema"]["shadow"][k])  # the two epochs' averages differ
    metrics = [r["metric"] for r in last["history"]]
    assert len(metrics) == 2 and best["epoch"] == (2 if metrics[1] >= metrics[0] else 1)  # ties: the later epoch
    kept = last if best["epoch"] == 2 else after_1
    assert torch.allclose(best["state_dict"][k].float(), kept["ema"]["shadow"][k])
    t2 = Trainer(load_config(cfg, ["train.epochs=3"]), resume=True)
    assert t2.ema.updates == 2 and torch.equal(t2.ema.shadow[k], last["ema"]["shadow"][k])


def test_foreground_weight() -> None:
    target = torch.zeros(1, 1, 8, 8)
    target[0, 0, 4, 4] = 1.0
    weight = torch.ones(1, 1, 1)
    peak_miss, background_miss = target * 0.0, target.clone()
    background_miss[0, 0, 0, 0] = 1.0
    plain, weighted = JointsMSELoss(), JointsMSELoss(foreground_weight=10.0)
    assert torch.isclose(plain(peak_miss, target, weight), plain(background_miss, target, weight))
    assert torch.isclose(weighted(peak_miss, target, weight), 10 * weighted(background_miss, target, weight))
    assert torch.isclose(JointsMSELoss(foreground_weight=1.0)(peak_miss, target, weight), plain(peak_miss, target, weight))


def recipe_chain(model: str) -> list:
    """The starter stages of ``model`` in training order: ``_s0`` (if any), the main recipe, ``_s2``..."""
    later = sorted(STARTER.glob(f"{model}_starter_s[2-9].yaml"))
    first = [STARTER / f"{model}_starter_s0.yaml"] if (STARTER / f"{model}_starter_s0.yaml").is_file() else []
    return [load_config(p) for p in first + [STARTER / f"{model}_starter.yaml"] + later]


@pytest.mark.parametrize("model", STARTER_MODELS)
def test_starter_recipes(model: str) -> None:
    stages = recipe_chain(model)
    for prev, cfg in zip(stages, stages[1:]):  # each stage starts from the weights of the one before
        assert cfg.train.init and Path(cfg.train.init).parent == Path(prev.train.out_dir)
        assert Path(cfg.train.init).name in ("last.pt", "best.pt")
    if (STARTER / f"{model}_starter_s0.yaml").is_file():  # stage 0: the first features on a cheaper, smaller input
        assert stages[0].train.init is None and stages[0].data.input_hw[0] * stages[0].data.input_hw[1] < stages[1].data.input_hw[0] * stages[1].data.input_hw[1]
    for c in stages:
        assert c.model == model and c.data.layout == "coco" and c.train.precise_bn > 0
        anns = [s.ann for s in c.data.train]
        assert any("lsp_train.json" in a for a in anns) and any("person_keypoints_train2017" in a for a in anns)
        # the validation sets stay out of training
        assert not any("val2017" in a or "lsp_val" in a for a in anns) and "val2017" in c.data.val.ann
    assert len({c.train.out_dir for c in stages}) == len(stages)


def fake_run(folder: Path, epochs: int, seconds: float) -> Path:
    """A run folder as the trainer leaves it: its config and one log record per epoch."""
    import json

    folder.mkdir(parents=True)
    cfg = {"name": folder.name, "data": {"input_hw": [128, 96], "sigma": 2.0,
                                         "train": [{"ann": "runs/lsp/lsp_train.json"}]},
           "train": {"batch_size": 32}, "optim": {"lr": 1e-3, "schedule": "linear"}}
    (folder / "config.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    recs = [{"event": "start", "persons": 100}] + [
        {"event": "epoch", "epoch": e, "seconds": seconds, "metric": 0.01 * e} for e in range(1, epochs + 1)]
    (folder / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return folder


def test_publish_takes_stages_published_earlier_from_the_manifest(tmp_path: Path) -> None:
    """A stage trained on another machine (its folder gone) keeps its recorded history; a missing last stage fails."""
    from poseapp.training.publish import run_summary

    earlier = {"run": "m_s1", "recipe": "m_starter", "epochs": 19, "train_seconds": 3600, "best_val_ap": 0.04}
    new = fake_run(tmp_path / "m_s2", epochs=3, seconds=600)
    summary = run_summary([tmp_path / "m_s1", new], [earlier])
    assert [s["run"] for s in summary["stages"]] == ["m_s1", "m_s2"]
    assert summary["stages"][0] == earlier and summary["stages"][1]["epochs"] == 3
    assert summary["stages"][1]["best_val_ap"] == pytest.approx(0.03)
    assert summary["cpu_hours"] == pytest.approx((3600 + 1800) / 3600, abs=0.01)
    with pytest.raises(PoseappError, match="m_s0 is not a training run folder"):
        run_summary([tmp_path / "m_s0", new], [earlier])  # no record of that name
    with pytest.raises(PoseappError, match="not a training run folder"):
        run_summary([new, tmp_path / "m_s1"], [earlier])  # the last stage is the one being published


def test_best_checkpoint_ties_go_to_the_later_epoch(shared_data: Path, tmp_path: Path, monkeypatch) -> None:
    """A validation figure stuck at 0.0 (early, small inputs) must not pin best.pt to epoch 1."""
    monkeypatch.setattr(Trainer, "_validate", lambda self: 0.0)
    monkeypatch.setattr(Trainer, "_should_validate", lambda self: True)
    t = Trainer(load_config(small_config(tmp_path, shared_data, epochs=3, val_every=1)))
    t.fit()
    best = torch.load(tmp_path / "run" / "best.pt", weights_only=True)
    assert best["epoch"] == 3


def test_a_failed_publish_leaves_nothing_behind(shared_data: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    """The checkpoint and its int8 model land together, only after everything is measured."""
    from poseapp.training import publish as pub

    Trainer(load_config(small_config(tmp_path, shared_data))).fit()
    monkeypatch.setattr(pub, "measure_teachers", lambda *a: {})
    monkeypatch.setattr(pub, "measure", lambda *a, **k: {"coco17_val_ap": 0.0})

    def broken_int8(*args, **kwargs):
        raise PoseappError("int8 quantisation of sfm.onnx failed (test); use --backend onnx")

    monkeypatch.setattr(pub, "make_int8", broken_int8)
    models = tmp_path / "models"
    assert main(["publish", "--model", "sfm", "--runs", str(tmp_path / "run"), "--weights", str(tmp_path / "run" / "last.pt"),
                 "--out", str(models), "--shared-data", str(shared_data), "--lsp-val", str(tmp_path / "none.json"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "int8 quantisation" in err
    assert sorted(p.name for p in models.iterdir()) == []
