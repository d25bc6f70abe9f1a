"""ONNX export with a dynamic batch dimension and metadata read back on load.

The metadata holds the model name, input size, keypoint count and weights hash
(``model``, ``input_h``, ``input_w``, ``num_keypoints``, ``weights``) and the
whole ``RunSpec`` as JSON (``run_spec``: normalisation, flip pairs, codec), so
``OnnxRunner(path)`` runs the file as its checkpoint would be run.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import onnx
import torch

from .model import LoadedModel

OPSET = 17


def export_onnx(loaded: LoadedModel, out: str | os.PathLike) -> Path:
    """Write ``loaded`` to ``out`` (atomically); batch axis dynamic; metadata in the file."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".onnx.part", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        h, w = loaded.input_hw
        dummy = torch.zeros(1, 3, h, w)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                loaded.module.eval(), dummy, str(tmp),
                input_names=["input"], output_names=["heatmaps"],
                dynamic_axes={"input": {0: "batch"}, "heatmaps": {0: "batch"}},
                opset_version=OPSET, dynamo=False, do_constant_folding=True,
            )
        proto = onnx.load(str(tmp))
        spec = loaded.spec.to_onnx_metadata()  # the file runs without its .pt: input size, layout, codec
        meta = {**{k: spec.pop(k) for k in ("model", "input_h", "input_w", "num_keypoints")},
                "weights": loaded.weights_id, "producer": "poseapp", **spec}
        del proto.metadata_props[:]
        for k, v in meta.items():
            proto.metadata_props.add(key=k, value=v)
        onnx.save(proto, str(tmp))
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def read_metadata(path: str | os.PathLike) -> dict[str, str]:
    proto = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in proto.metadata_props}
