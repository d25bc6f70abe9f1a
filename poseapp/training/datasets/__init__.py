"""Dataset sources (one module per annotation format) and the top-down training set.

Importing this package registers the built-in sources: ``coco`` and ``mpii``.
"""
from . import coco, mpii  # noqa: F401  (registration side effects)
from .base import (
    PersonSample,
    PoseSource,
    SourceSpec,
    build_source,
    list_sources,
    register_source,
    remap_samples,
)
from .topdown import TopDownDataset

__all__ = [
    "PersonSample", "PoseSource", "SourceSpec", "TopDownDataset", "build_source", "list_sources",
    "register_source", "remap_samples",
]
