"""Model registry: ``create_model(name)`` is the one way to build a pose network.

Each entry is a decorated constructor together with the figures its paper gives,
so ``poseapp models`` can print the measured figures beside the paper's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch.nn as nn

from ..errors import PoseappError


@dataclass(frozen=True)
class ModelSpec:
    """A registered network and the figures its paper reports (COCO, 256x192)."""

    name: str
    builder: Callable[..., nn.Module]
    paper: str
    paper_params_m: float
    paper_gmacs: float
    paper_coco_ap: float | None = None
    paper_mpii_pckh: float | None = None
    tolerance: float = 0.10
    input_hw: tuple[int, int] = (256, 192)
    alt_paper_params_m: tuple[float, ...] = ()


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(
    name: str,
    *,
    paper: str,
    paper_params_m: float,
    paper_gmacs: float,
    paper_coco_ap: float | None = None,
    paper_mpii_pckh: float | None = None,
    tolerance: float = 0.10,
    alt_paper_params_m: tuple[float, ...] = (),
) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator: register ``fn(num_joints=17, **kw) -> nn.Module`` under ``name``."""

    def deco(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} registered twice")
        _REGISTRY[name] = ModelSpec(
            name=name,
            builder=fn,
            paper=paper,
            paper_params_m=paper_params_m,
            paper_gmacs=paper_gmacs,
            paper_coco_ap=paper_coco_ap,
            paper_mpii_pckh=paper_mpii_pckh,
            tolerance=tolerance,
            alt_paper_params_m=alt_paper_params_m,
        )
        return fn

    return deco


class UnknownModelError(PoseappError, ValueError):
    """Raised for a model name that is not registered."""


def get_spec(name: str) -> ModelSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownModelError(
            f"unknown model {name!r}; choose one of: {', '.join(list_models())}"
        ) from None


def list_models() -> list[str]:
    return list(_REGISTRY)


def create_model(name: str, num_joints: int = 17, **kwargs) -> nn.Module:
    """Build the network registered as ``name`` (random init, train mode)."""
    return get_spec(name).builder(num_joints=num_joints, **kwargs)
