"""The registered networks' figures for ``poseapp models``, readable without PyTorch.

``poseapp models`` prints each network's parameters and MACs at 256x192 beside
its paper's figures. Measuring them means building all ten networks in torch
(about 3 s to import torch and 2-4 s to build and count on a 2-core machine),
while the command should answer in well under a second. The figures only change
when a network's code does, so they are measured once and kept here; the
manifest's ``params_m``/``gmacs`` would not do, as they are at each shipped
checkpoint's own input size and exist only for shipped networks.

``NETWORKS`` is generated from the registry (``poseapp.nets``) by
``python -m poseapp.catalog --write``; ``tests/test_catalog.py`` rebuilds every
network and fails if a row differs from what the code measures now (a network
added, removed or changed), saying to run that command.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

# fields copied from each ModelSpec, then the two measured counts (exact integers)
SPEC_FIELDS = ("paper", "paper_params_m", "alt_paper_params_m", "paper_gmacs", "paper_coco_ap", "paper_mpii_pckh",
               "tolerance", "input_hw")
MEASURED_FIELDS = ("params", "macs")

# BEGIN GENERATED (python -m poseapp.catalog --write)
NETWORKS: tuple[dict, ...] = (
    {"name": "danet72", "paper": "DANet (seed 001), Table I", "paper_params_m": 3.4, "alt_paper_params_m": (), "paper_gmacs": 1.0, "paper_coco_ap": 71.0, "paper_mpii_pckh": 90.6, "tolerance": 0.1, "input_hw": (256, 192), "params": 3470205, "macs": 1015697408},
    {"name": "danet88", "paper": "DANet (seed 001), Table I", "paper_params_m": 5.3, "alt_paper_params_m": (), "paper_gmacs": 1.4, "paper_coco_ap": 71.9, "paper_mpii_pckh": 91.0, "tolerance": 0.1, "input_hw": (256, 192), "params": 5672873, "macs": 1331232256},
    {"name": "danet98", "paper": "DANet (seed 001), Table I", "paper_params_m": 5.7, "alt_paper_params_m": (), "paper_gmacs": 1.6, "paper_coco_ap": 72.8, "paper_mpii_pckh": 91.4, "tolerance": 0.1, "input_hw": (256, 192), "params": 6191639, "macs": 1636108672},
    {"name": "danet102", "paper": "DANet (seed 001), Table I", "paper_params_m": 5.8, "alt_paper_params_m": (), "paper_gmacs": 1.8, "paper_coco_ap": 73.4, "paper_mpii_pckh": 91.6, "tolerance": 0.1, "input_hw": (256, 192), "params": 6263505, "macs": 1815622656},
    {"name": "litehrnet18-cbam", "paper": "CBAM + Lite-HRNet (seed 002)", "paper_params_m": 1.1, "alt_paper_params_m": (), "paper_gmacs": 0.205, "paper_coco_ap": 67.0, "paper_mpii_pckh": 87.1, "tolerance": 0.25, "input_hw": (256, 192), "params": 1140588, "macs": 214460112},
    {"name": "litehrnet18", "paper": "Lite-HRNet (Yu et al., CVPR 2021), Lite-HRNet-18", "paper_params_m": 1.1, "alt_paper_params_m": (), "paper_gmacs": 0.205, "paper_coco_ap": 64.8, "paper_mpii_pckh": None, "tolerance": 0.1, "input_hw": (256, 192), "params": 1130769, "macs": 198626688},
    {"name": "lpn50", "paper": "LPN (seed 003, arXiv 1911.10346)", "paper_params_m": 2.7, "alt_paper_params_m": (2.9,), "paper_gmacs": 1.0, "paper_coco_ap": 69.1, "paper_mpii_pckh": 88.6, "tolerance": 0.1, "input_hw": (256, 192), "params": 2911137, "macs": 1068144640},
    {"name": "lpn101", "paper": "LPN (seed 003, arXiv 1911.10346), official README", "paper_params_m": 5.3, "alt_paper_params_m": (), "paper_gmacs": 1.4, "paper_coco_ap": 70.4, "paper_mpii_pckh": None, "tolerance": 0.1, "input_hw": (256, 192), "params": 5353425, "macs": 1504458752},
    {"name": "lpn152", "paper": "LPN (seed 003, arXiv 1911.10346), official README", "paper_params_m": 7.4, "alt_paper_params_m": (), "paper_gmacs": 1.8, "paper_coco_ap": 71.0, "paper_mpii_pckh": None, "tolerance": 0.1, "input_hw": (256, 192), "params": 7377409, "macs": 1942722560},
    {"name": "sfm", "paper": "SFM with HSA (seed 000)", "paper_params_m": 1.5, "alt_paper_params_m": (), "paper_gmacs": 1.7, "paper_coco_ap": 71.7, "paper_mpii_pckh": 89.0, "tolerance": 0.1, "input_hw": (256, 192), "params": 1493533, "macs": 1693250736},
)
# END GENERATED


def measure_networks() -> tuple[dict, ...]:
    """``NETWORKS`` as the registry gives it now: every network built and counted (imports torch)."""
    from .nets import count_macs, count_params, create_model, get_spec, list_models

    rows = []
    for name in list_models():
        spec = get_spec(name)
        model = create_model(name)
        row = {"name": name, **{f: getattr(spec, f) for f in SPEC_FIELDS}}
        row.update(params=count_params(model), macs=count_macs(model, spec.input_hw))
        rows.append(row)
    return tuple(rows)


def _source(rows: tuple[dict, ...]) -> str:
    def lit(v) -> str:
        return json.dumps(v) if isinstance(v, str) else repr(v)

    body = "".join("    {" + ", ".join(f'"{k}": {lit(v)}' for k, v in row.items()) + "},\n" for row in rows)
    return f"NETWORKS: tuple[dict, ...] = (\n{body})\n"


def main(argv: list[str] | None = None) -> int:
    """Print ``NETWORKS`` measured now; ``--write`` puts it into this file."""
    argv = sys.argv[1:] if argv is None else argv
    text = _source(measure_networks())
    if "--write" not in argv:
        print(text, end="")
        return 0
    path = Path(__file__)
    src = path.read_text(encoding="utf-8")
    pattern = r"(# BEGIN GENERATED[^\n]*\n).*?(# END GENERATED)"
    path.write_text(re.sub(pattern, lambda m: m.group(1) + text + m.group(2), src, count=1, flags=re.S), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
