"""Process-group setup for ``torchrun`` (single process when launched plainly).

``torchrun --nproc_per_node N`` sets ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE``;
each process drives one GPU (NCCL) or, without CUDA, one CPU process (gloo).
Multi-node runs add ``--nnodes``/``--rdzv-endpoint`` to torchrun; nothing here
changes. Only rank 0 logs, evaluates and writes checkpoints.
"""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ..errors import PoseappError


@dataclass
class DistInfo:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def pick_device(kind: str, local_rank: int) -> torch.device:
    if kind == "cuda" and not torch.cuda.is_available():
        raise PoseappError("train.device is 'cuda' but no CUDA GPU is available (use auto or cpu)")
    if kind in ("auto", "cuda") and torch.cuda.is_available():
        torch.cuda.set_device(local_rank % torch.cuda.device_count())
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device("cpu")


def init_distributed(device_kind: str = "auto") -> DistInfo:
    """Join the torchrun process group if there is one."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(device_kind, local)
    if world > 1 and not dist.is_initialized():
        # generous timeout: the other ranks wait at a barrier while rank 0 validates
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo",
                                timeout=datetime.timedelta(minutes=60))
    return DistInfo(rank, local, world, device)


def barrier(info: DistInfo) -> None:
    if info.distributed and dist.is_initialized():
        dist.barrier()


def mean_over_ranks(value: float, info: DistInfo) -> float:
    if not (info.distributed and dist.is_initialized()):
        return value
    t = torch.tensor([value], dtype=torch.float64, device=info.device)
    dist.all_reduce(t)
    return float(t.item()) / info.world_size


def broadcast_float(value: float, info: DistInfo) -> float:
    """Rank 0's value on every rank (e.g. the validation metric)."""
    if not (info.distributed and dist.is_initialized()):
        return value
    t = torch.tensor([value], dtype=torch.float64, device=info.device)
    dist.broadcast(t, 0)
    return float(t.item())


def cleanup(info: DistInfo) -> None:
    if info.distributed and dist.is_initialized():
        dist.destroy_process_group()
