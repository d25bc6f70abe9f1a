"""``poseapp soup``: the mean of the ingredients' weights, BatchNorm re-estimated, validated, publishable as a stage."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from poseapp.cli import main
from poseapp.nets import create_model
from poseapp.runtime import read_checkpoint, save_checkpoint

from test_ablation import write_recipe  # noqa: E402  (tests/training is on sys.path under pytest)
from test_train_starter import fake_run  # noqa: E402


def ingredient(path: Path, seed: int, model: str = "sfm", **meta) -> Path:
    torch.manual_seed(seed)
    return save_checkpoint(create_model(model), path, model, num_joints=17, input_hw=[64, 48], **meta)


def test_soup_averages_weights_reestimates_batchnorm_and_publishes_as_a_stage(shared_data: Path, tmp_path: Path,
                                                                                capsys) -> None:
    recipe = write_recipe(tmp_path / "recipe.yaml", shared_data)
    cfg = yaml.safe_load(recipe.read_text())
    cfg["train"]["precise_bn"] = 2
    recipe.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    a = ingredient(tmp_path / "a.pt", 0, config_name="base_a", metric=0.2)
    b = ingredient(tmp_path / "b.pt", 1)
    out = tmp_path / "soup"
    assert main(["soup", "--config", str(recipe), "--weights", str(a), str(b), "--out", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "soup of" in printed and "val AP" in printed and str(out / "best.pt") in printed

    sa, sb = read_checkpoint(a)["state_dict"], read_checkpoint(b)["state_dict"]
    soup = read_checkpoint(out / "best.pt")
    params = dict(create_model("sfm").named_parameters())
    for k in params:  # every parameter is the mean of the two
        torch.testing.assert_close(soup["state_dict"][k].float(), (sa[k].float() + sb[k].float()) / 2)
    # BatchNorm statistics are measured on the recipe's training crops, not averaged (both start at 0 / 1)
    means = [k for k in soup["state_dict"] if k.endswith("running_mean")]
    assert means and any(not torch.allclose(soup["state_dict"][k], (sa[k] + sb[k]) / 2) for k in means)
    assert soup["metric"] is not None and soup["run_spec"]["input_hw"] == [64, 48]
    assert [i["recipe"] for i in soup["soup"]] == ["base_a", None]

    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    rec = next(r for r in records if r["event"] == "soup")
    assert rec["metric"] == pytest.approx(soup["metric"]) and len(rec["ingredients"]) == 2

    # publish reads the folder as one more stage: no epochs, its own CPU time and AP, the ingredients named
    from poseapp.training.publish import eval_sets, model_card, run_summary

    earlier = fake_run(tmp_path / "base_a", epochs=2, seconds=600)
    summary = run_summary([earlier, out])
    stage = summary["stages"][1]
    assert stage["epochs"] == 0 and stage["best_val_ap"] == pytest.approx(soup["metric"])
    assert [i["path"] for i in stage["soup"]] == [a.as_posix(), b.as_posix()]
    assert stage["curve"] == [[0, pytest.approx(rec["seconds"] / 3600, abs=1e-3), round(soup["metric"], 4)]]
    manifest = json.loads((Path(__file__).resolve().parents[2] / "models" / "manifest.json").read_text())
    entry = {**next(m for m in manifest["models"] if m["name"] == "sfm"), "training": summary}
    card = model_card(entry, eval_sets(shared_data, None))
    assert "0: the mean of 2 checkpoints' weights (base_a 0.200, b.pt)" in card
    # to reproduce, the ingredient an earlier stage trained is that stage's best.pt, not the file it came from
    assert f"poseapp soup --config {stage['recipe_file'] or 'training/configs/starter/' + stage['recipe'] + '.yaml'}" \
           f" --weights runs/base_a/best.pt {b.as_posix()} --out {stage['out_dir']}" in card


def test_soup_refuses_bad_ingredients_in_one_line(shared_data: Path, tmp_path: Path, capsys) -> None:
    recipe = write_recipe(tmp_path / "recipe.yaml", shared_data)
    a = ingredient(tmp_path / "a.pt", 0)
    other = ingredient(tmp_path / "lpn.pt", 0, model="lpn50")
    done = tmp_path / "done"
    done.mkdir()
    (done / "best.pt").write_bytes(b"kept")
    cases = [
        ([str(a)], tmp_path / "o1", "at least two checkpoints"),
        ([str(a), str(tmp_path / "none.pt")], tmp_path / "o2", "not found"),
        ([str(a), str(other)], tmp_path / "o3", "holds lpn50 weights, not sfm"),
        ([str(a), str(a)], done, "already holds best.pt"),
    ]
    for weights, out, message in cases:
        assert main(["soup", "--config", str(recipe), "--weights", *weights, "--out", str(out), "-q"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("poseapp: ") and message in err and "\n" not in err, (weights, err)
    assert (done / "best.pt").read_bytes() == b"kept"  # nothing overwritten
    assert not (tmp_path / "o3").exists()


def test_average_states_needs_one_architecture() -> None:
    from poseapp.errors import PoseappError
    from poseapp.training.soup import average_states

    x = {"w": torch.ones(2, 3), "n": torch.tensor(5)}
    y = {"w": torch.zeros(2, 3), "n": torch.tensor(9)}
    avg = average_states([x, y], ["x", "y"])
    assert torch.equal(avg["w"], torch.full((2, 3), 0.5)) and int(avg["n"]) == 5
    with pytest.raises(PoseappError, match="y is not the same network as x"):
        average_states([x, {"w": torch.zeros(3, 2), "n": torch.tensor(1)}], ["x", "y"])
    with pytest.raises(PoseappError, match="keys differ: v"):
        average_states([x, {**y, "v": torch.zeros(1)}], ["x", "y"])
