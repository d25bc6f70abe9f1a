"""What this CPU is and which instructions it has, read once from ``/proc/cpuinfo`` (Linux).

Two readers need it: ``poseapp bench`` names the CPU its speed figures hold for (``cpu_name``), and the
trainer falls back from bf16 to fp32 on a CPU without bf16 arithmetic (``bf16_native``). Elsewhere (not
Linux) the file is absent: ``cpu_name`` says what ``platform`` knows and ``bf16_native`` returns None."""
from __future__ import annotations

import platform
from functools import lru_cache
from pathlib import Path

# the vector / int8 / bf16 extensions that decide CPU inference and training speed, widest first
SPEED_FLAGS = ("avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "avx_vnni")
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16", "bf16"})  # x86 AVX-512 / AMX, Arm "bf16"


@lru_cache(maxsize=1)
def read_cpuinfo() -> str:
    """The text of ``/proc/cpuinfo``; empty where it cannot be read."""
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def cpu_flags(info: str) -> set[str]:
    """The instruction-set flags (x86 ``flags``, Arm ``Features``) of a ``/proc/cpuinfo`` text."""
    return {f for line in info.splitlines() if line.split(":")[0].strip() in ("flags", "Features")
            for f in line.split(":", 1)[-1].split()}


def cpu_name(info: str | None = None) -> str:
    """The CPU's model name and its widest vector / int8 / bf16 instructions, e.g. ``AMD EPYC (avx2)``."""
    info = read_cpuinfo() if info is None else info
    name = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")), "")
    flags = cpu_flags(info)
    isa = [f for f in SPEED_FLAGS if f in flags] or [f for f in ("avx2", "avx") if f in flags][:1]
    name = name or platform.processor() or platform.machine()
    return f"{name} ({', '.join(isa)})" if isa else name


def bf16_native(info: str | None = None) -> bool | None:
    """Whether the CPU does bf16 arithmetic in hardware; None where its flags cannot be read."""
    flags = cpu_flags(read_cpuinfo() if info is None else info)
    return bool(flags & BF16_FLAGS) if flags else None
