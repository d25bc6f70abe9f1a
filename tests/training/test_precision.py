"""``train.precision: bf16`` on a CPU without bf16 instructions trains in fp32 and says so (emulated bf16
autocast ran 17x slower than fp32 on an AVX2 AMD EPYC)."""
from __future__ import annotations

from pathlib import Path

import torch

from poseapp.cli import main
from poseapp.training import trainer
from poseapp.training.runlog import read_log

from test_train_run import write_config  # noqa: E402  (tests/training is on sys.path under pytest)

XEON = ("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\n"
        "flags\t\t: fpu sse2 avx2 avx512f avx512_vnni avx512_bf16 amx_bf16\n")
EPYC = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx avx2 fma vaes\n"
ARM = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n"


def test_cpu_bf16_native_reads_the_cpu_flags() -> None:
    assert trainer.cpu_bf16_native(XEON) is True
    assert trainer.cpu_bf16_native(EPYC) is False
    assert trainer.cpu_bf16_native(ARM) is True
    assert trainer.cpu_bf16_native("") is None  # unknown: the recipe is trusted
    assert trainer.cpu_bf16_native() in (True, False)  # this Linux machine's own /proc/cpuinfo


def test_cpu_name_says_which_instructions_speed_figures_hold_for() -> None:
    """What bench reports and records beside its speed figures (and what the trainer's bf16 check reads)."""
    from poseapp.cpuinfo import cpu_name

    assert cpu_name(XEON) == "Intel(R) Xeon(R) Processor (avx512f, avx512_vnni, avx512_bf16, amx_bf16)"
    assert cpu_name(EPYC) == "AMD EPYC (avx2)"
    assert cpu_name("") != ""  # no /proc/cpuinfo: what the platform module knows
    assert cpu_name() != ""


def test_bf16_recipe_trains_in_fp32_without_bf16_hardware(shared_data: Path, tmp_path: Path, monkeypatch,
                                                          capsys) -> None:
    monkeypatch.setattr(trainer, "cpu_bf16_native", lambda cpuinfo=None: False)
    cfg = write_config(tmp_path / "c.yaml", shared_data, tmp_path / "run", limit=4, epochs=1, batch=4,
                       precision="bf16")
    seen: list[torch.dtype | None] = []
    fit = trainer.Trainer.fit
    monkeypatch.setattr(trainer.Trainer, "fit", lambda self: (seen.append(self.amp_dtype), fit(self))[1])
    assert main(["train", "--config", str(cfg), "-q"]) == 0
    assert seen == [None]
    out = capsys.readouterr().out
    assert "this CPU has no bf16 instructions" in out and "on cpu, fp32" in out
    log = read_log(tmp_path / "run" / "log.jsonl")
    note = next(r for r in log if r["event"] == "precision")
    assert note["asked"] == "bf16" and note["used"] == "fp32"
    assert next(r for r in log if r["event"] == "start")["precision"] == "fp32"
    from poseapp.training.publish import run_summary

    from poseapp.cpuinfo import cpu_name

    stage = run_summary([tmp_path / "run"])["stages"][0]
    assert stage["precision"] == "fp32" and stage["cpu"] == cpu_name()  # what the model card will say


def test_bf16_recipe_keeps_bf16_where_the_cpu_has_it(monkeypatch) -> None:
    monkeypatch.setattr(trainer, "cpu_bf16_native", lambda cpuinfo=None: True)
    assert trainer.amp_dtype("bf16", torch.device("cpu")) is torch.bfloat16
