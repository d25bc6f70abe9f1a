"""Names the command line offers, in one torch-free place.

``poseapp --help`` builds every subcommand's parser; importing PyTorch for it
would take seconds, so the choices and defaults the parsers show live here and
the heavy modules import them from here (``poseapp.runtime.runners.BACKENDS``,
``poseapp.pipeline.DEFAULT_MODEL``, the decoders of ``poseapp.codecs``).
"""
from __future__ import annotations

from .runtime.manifest import default_weights, read_manifest, shipped_ap

BACKENDS = ("torch", "onnx", "onnx-int8")  # onnx-int8: static int8 (runtime/quantize.py)
# what --backend offers: the runtimes, and "auto" (runtime.manifest.auto_backend: the shipped int8 model
# where it was measured faster and within 0.01 AP, else onnx), which is the default
AUTO_BACKEND = "auto"
BACKEND_CHOICES = (AUTO_BACKEND, *BACKENDS)
DEFAULT_BACKEND = AUTO_BACKEND
DECODERS = ("argmax", "dark", "beta")  # poseapp.codecs.DECODERS maps each to its function
# the crop scales (crop = box x scale, padded to the input's aspect) `poseapp publish` measures on the primary
# set (--crop-scales); the best is the one the checkpoint runs with. Trained at 1.25 with scale augmentation
# 0.75-1.25 and half-body crops, these 128x96 networks measured better with tighter crops (2026-12-06, coco17
# val: lpn50 0.236 at 1.25, 0.262 at 1.0; sfm 0.280 at 1.25, 0.291 at 1.1; held-out confirmation on coco-mini
# val and LSP val).
CROP_SCALES = (1.0, 1.05, 1.1, 1.15, 1.2, 1.25)
FALLBACK_MODEL = "danet72"


def default_model() -> str:
    """The shipped network with the best measured AP (``models/manifest.json``); danet72 when none is shipped."""
    try:
        entries = read_manifest()
    except (OSError, ValueError, KeyError, TypeError):
        return FALLBACK_MODEL
    # entries measured on coco17 val rank above older ones measured only on coco-mini val
    shipped = []
    for name, e in entries.items():
        ap = shipped_ap(e)
        if default_weights(name) is not None:
            shipped.append((ap is not None and ap[1] == "coco17 val", ap[0] if ap else 0.0, name))
    return max(shipped)[2] if shipped else FALLBACK_MODEL


DEFAULT_MODEL = default_model()
