"""Training-step speed per network: fp32 vs bf16 autocast, eager vs ``torch.compile``.

    python training/step_speed.py [--models sfm,lpn50] [--input 128x96] [--batch 32] [--steps 8]
                                  [--modes fp32,bf16] [--compile] [--threads 2]

One optimiser step (forward, MSE against a fixed target, backward, Adam) on a
random batch, channels-last, no data loading: samples per second after a
warm-up of 3 steps (which also holds the compilation time with ``--compile``).
Run it with nothing else on the machine; the figures go into the recipes'
``train.precision`` choice (issue 13: use the faster).
"""
from __future__ import annotations

import argparse
import time

import torch

from poseapp.nets import create_model


def step_speed(model: str, hw: tuple[int, int], batch: int, precision: str, compiled: bool, steps: int) -> tuple[float, float]:
    """``(samples per second, warm-up seconds)``."""
    net = create_model(model, num_joints=17).to(memory_format=torch.channels_last).train()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    x = torch.randn(batch, 3, *hw).contiguous(memory_format=torch.channels_last)
    fwd = torch.compile(net) if compiled else net
    target: list[torch.Tensor] = []

    def one() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            out = fwd(x)
        if not target:
            target.append(torch.rand_like(out.float()))
        loss = ((out.float() - target[0]) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    t0 = time.perf_counter()
    for _ in range(3):
        one()
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(steps):
        one()
    return batch * steps / (time.perf_counter() - t0), warm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="sfm,lpn50,danet72,litehrnet18-cbam")
    ap.add_argument("--input", default="128x96")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--modes", default="fp32,bf16")
    ap.add_argument("--compile", action="store_true", help="also measure torch.compile (minutes of compilation each)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    hw = tuple(int(v) for v in args.input.lower().split("x"))
    print(f"torch {torch.__version__}, {args.threads} threads, batch {args.batch}, input {hw[0]}x{hw[1]}, channels-last")
    print(f"{'model':<18}{'precision':<10}{'mode':<9}{'samples/s':>10}{'warm-up s':>10}")
    for model in args.models.split(","):
        for precision in args.modes.split(","):
            for compiled in ([False, True] if args.compile else [False]):
                sps, warm = step_speed(model, hw, args.batch, precision, compiled, args.steps)
                print(f"{model:<18}{precision:<10}{'compile' if compiled else 'eager':<9}{sps:>10.1f}{warm:>10.1f}", flush=True)


if __name__ == "__main__":
    main()
