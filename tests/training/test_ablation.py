"""``poseapp ablate``: the variants train one change each, a finished one is skipped, the table compares them."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from poseapp.cli import main
from poseapp.training.ablation import VARIANTS
from poseapp.training.config import load_config


def write_recipe(path: Path, shared_data: Path) -> Path:
    root = shared_data / "coco-mini"
    cfg = {
        "model": "sfm",
        "data": {"root": str(root), "layout": "coco", "input_hw": [64, 48], "workers": 0,
                 "train": [{"type": "coco", "ann": "annotations/person_keypoints_train2017.json",
                            "images": "train2017", "limit": 16}],
                 "val": {"type": "coco", "ann": "annotations/person_keypoints_val2017.json",
                         "images": "val2017", "limit": 8}},
        "augment": {"enabled": True},
        "optim": {"lr": 1e-3, "schedule": "constant"},
        "train": {"epochs": 5, "batch_size": 8, "out_dir": str(path.parent / "unused"), "log_every": 1,
                  "progress": False, "val_every": 1},
        "eval": {"flip_test": False},
    }
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


@pytest.mark.slow
def test_ablate_trains_each_variant_then_skips(shared_data: Path, tmp_path: Path, capsys) -> None:
    recipe = write_recipe(tmp_path / "recipe.yaml", shared_data)
    out = tmp_path / "ablation"
    args = ["ablate", "--config", str(recipe), "--epochs", "1", "--variants", "base,blur", "--out", str(out), "-q"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "base: trained" in printed and "blur: trained" in printed
    # each variant ran the recipe with its one change and the ablation's epoch count, into its own folder
    for name, blur in (("base", 0.0), ("blur", 0.3)):
        used = yaml.safe_load((out / name / "config.yaml").read_text())
        assert used["augment"]["blur_prob"] == blur and used["train"]["epochs"] == 1
        assert Path(used["train"]["out_dir"]) == out / name
    rows = {line.split("|")[1].strip(): line for line in (out / "ablation.md").read_text().splitlines()
            if line.startswith("| base") or line.startswith("| blur")}
    assert set(rows) == {"base", "blur"}
    cells = [c.strip() for c in rows["blur"].split("|")[1:-1]]
    assert cells[1] == "blur_prob=0.3"
    float(cells[2])  # epoch 1's validation AP
    assert cells[3].startswith(("+", "-"))  # against base
    # a second call trains nothing more
    log_before = (out / "blur" / "log.jsonl").read_text()
    assert main(args) == 0
    assert "blur: finished earlier" in capsys.readouterr().out
    assert (out / "blur" / "log.jsonl").read_text() == log_before
    # a later call for some variants still tables every variant trained in the folder against base
    assert main(["ablate", "--config", str(recipe), "--epochs", "1", "--variants", "blur", "--out", str(out), "-q"]) == 0
    firsts = [line.split("|")[1].strip() for line in (out / "ablation.md").read_text().splitlines()[4:]]
    assert firsts == ["base", "blur"]


def test_ablate_bad_input_is_one_line(tmp_path: Path, capsys) -> None:
    assert main(["ablate", "--config", str(tmp_path / "missing.yaml")]) != 0
    assert "not found" in capsys.readouterr().err
    recipe = tmp_path / "r.yaml"
    recipe.write_text("model: sfm\n", encoding="utf-8")
    assert main(["ablate", "--config", str(recipe), "--variants", "base,sharpen"]) != 0
    err = capsys.readouterr().err
    assert "unknown sharpen" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_all_variant_is_every_augmentation() -> None:
    singles = [a for name, sets in VARIANTS.items() if name not in ("base", "all", "fill", "kd", "sigma1.5", "sigma1")
               for a in sets]
    assert VARIANTS["all"] == singles and VARIANTS["base"] == []
    assert all(a.startswith("augment.") for a in singles)


def test_teacher_variants_change_only_the_teacher() -> None:
    recipe = Path(__file__).parents[2] / "training" / "configs" / "distill" / "lpn50_ablation.yaml"
    base = load_config(recipe)
    fill, kd = (load_config(recipe, VARIANTS[n]) for n in ("fill", "kd"))
    assert base.teacher.name is None
    assert fill.teacher.name == kd.teacher.name == "thunder" and fill.teacher.fill and kd.teacher.fill
    assert fill.teacher.kd_weight == 0 and kd.teacher.kd_weight > 0
    assert fill.augment == kd.augment == base.augment and fill.optim == base.optim


def test_sigma_variants_change_only_the_target_width() -> None:
    recipe = Path(__file__).parents[2] / "training" / "configs" / "distill" / "lpn50_ablation.yaml"
    base = load_config(recipe)
    for name, sigma in (("sigma1.5", 1.5), ("sigma1", 1.0)):
        cfg = load_config(recipe, VARIANTS[name])
        assert cfg.data.sigma == sigma != base.data.sigma
        assert cfg.augment == base.augment and cfg.teacher == base.teacher and cfg.optim == base.optim
        assert cfg.data.input_hw == base.data.input_hw
