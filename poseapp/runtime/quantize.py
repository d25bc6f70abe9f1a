"""int8 ONNX models: static quantisation calibrated on real person crops.

ONNX Runtime's ``quantize_static`` in QDQ format, weights int8 per output
channel, activations uint8 with ranges measured on calibration crops (person
boxes of a COCO-format keypoint file, cropped exactly as the app crops them).
Measured on this project's 2-core CPU: lpn50 at 128x96 runs 1.4x (batch 8) to
1.5x (batch 1) faster than fp32 ONNX Runtime, with coco-mini val AP 0.0373 ->
0.0364 (docs/benchmarks.md).

Three kinds of node stay in float (``float_nodes``):

* the first convolution: it reads the normalised pixels. Measured on the
  shipped lpn50 (192x144, coco17 val, flip, 2026-12-07, AMD EPYC): all 105
  convolutions in int8 AP 0.313; the first in float 0.321 (fp32 0.328); the
  last alone in float 0.313 (so it stays int8). It costs speed: 35.5 against
  30.3 ms a flip pair for all int8 (fp32 ONNX Runtime: 42.7), timed in one run.
* attention weights: every ``Softmax`` and the ``MatMul`` that applies it
  (reached through shape-only nodes). A softmax over the 432-1728 positions of
  LPN's global-context blocks gives weights near 1/1728, which uint8 steps of
  max/255 cannot tell apart. Measured on the lpn50 weights of 2026-12-07 (coco17
  val, flip, Xeon): int8 AP 0.331 -> 0.341 (fp32 0.343), LayerNorm in float as
  well 0.340 (so it stays int8).
* a ``MaxPool`` that reads a float node (directly or through a ``Relu``), i.e.
  the stem's pool after the float first convolution: ONNX Runtime's uint8
  MaxPool took 4.3-5.0 of 22-24 ms of lpn50's flip pair (one thread); the float
  one runs in its blocked NCHWc layout for ~0.2 ms. Max-pooling commutes with
  quantisation, so this changes no output. It only holds if the session does
  not move the QuantizeLinear back above the pool: int8 sessions are created
  without ONNX Runtime's ``QDQPropagationTransformer``
  (``poseapp.runtime.runners``).

Where int8 files are looked up (``int8_path_for``): the shipped one next to the
shipped checkpoint (``models/<name>.int8.onnx``, recorded in the manifest with
the checkpoint it was made from), then the cache, where ``poseapp quantize``
writes. There is no silent fallback: an int8 model needs calibration data, so a
missing one is a one-line error that says how to make it.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from ..errors import PoseappError
from .export import read_metadata
from .manifest import verified_sha256
from .model import LoadedModel, WeightsRef
from .weights import models_dir, read_manifest, sha256_of

INT8_SUFFIX = ".int8.onnx"


def cached_int8_path(loaded: LoadedModel | WeightsRef) -> Path:
    from .runners import cache_dir

    h, w = loaded.input_hw
    return cache_dir() / f"{loaded.name}-{loaded.weights_id}-k{loaded.num_joints}-{h}x{w}-int8.onnx"


def shipped_int8_path(loaded: LoadedModel | WeightsRef) -> Path | None:
    """``models/<name>.int8.onnx`` when ``loaded`` is the shipped checkpoint at its own size."""
    entry = read_manifest().get(loaded.name)
    if not entry or not entry.get("int8") or loaded.weights is None:
        return None
    if entry["int8"].get("weights_sha256") != entry.get("sha256"):
        return None  # made from another checkpoint than the one shipped now
    if Path(loaded.weights).resolve() != (models_dir() / entry["file"]).resolve():
        return None
    if list(entry.get("input_hw", [])) != list(loaded.input_hw):
        return None
    path = models_dir() / entry["int8"]["file"]
    if not path.is_file():
        return None
    verified_sha256(path)  # a damaged shipped file is an error, not a silent fallback
    return path


def int8_path_for(loaded: LoadedModel | WeightsRef) -> Path:
    """The int8 ONNX file of ``loaded`` (shipped or made by ``poseapp quantize``), or a one-line error."""
    for path in (shipped_int8_path(loaded), cached_int8_path(loaded)):
        if path is not None and path.is_file():
            return path
    h, w = loaded.input_hw
    raise PoseappError(
        f"no int8 model for {loaded.name} ({'weights ' + loaded.weights_id if loaded.weights else 'untrained'}, "
        f"{h}x{w}): make one with 'poseapp quantize --model {loaded.name} --input {h}x{w} --ann COCO.json --images DIR', "
        "or use --backend onnx"
    )


def calibration_crops(ann: Path, images: Path, input_hw: tuple[int, int], count: int = 128,
                      box_scale: float = 1.25, spec=None) -> np.ndarray:
    """Up to ``count`` network inputs (N x 3 x H x W) cropped from the person boxes of a COCO keypoint file
    (as the app crops them for ``spec``, a ``RunSpec``: its box enlargement and normalisation)."""
    import cv2

    from ..codecs import RunSpec
    from ..crop import Cropper
    from ..training.datasets.base import SourceSpec, build_source

    source = build_source(SourceSpec(type="coco", ann=Path(ann), images=Path(images)))
    cropper = Cropper.from_spec((spec or RunSpec(box_scale=box_scale)).replace(input_hw=tuple(input_hw)))
    by_image: dict[Path, list[np.ndarray]] = {}
    for s in source.samples:
        by_image.setdefault(Path(s.image), []).append(np.asarray(s.box_xyxy, np.float32))
    out: list[np.ndarray] = []
    total = 0
    for path, boxes in by_image.items():
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if frame is None:
            raise PoseappError(f"calibration image {path} cannot be read: check --images")
        batch = cropper(frame, np.stack(boxes)).images.copy()
        out.append(batch)
        total += len(batch)
        if total >= count:
            break
    if not out:
        raise PoseappError(f"{ann} has no annotated persons to calibrate on: pass a COCO keypoint file with people")
    return np.concatenate(out)[:count]


class _Reader:
    """Calibration batches of 8 for ``quantize_static``."""

    def __init__(self, crops: np.ndarray, name: str) -> None:
        self._batches = iter([{name: crops[i:i + 8]} for i in range(0, len(crops), 8)])

    def get_next(self):
        return next(self._batches, None)


_SHAPE_OPS = {"Reshape", "Transpose", "Unsqueeze", "Squeeze", "Flatten"}


def float_nodes(model_path: Path) -> list[str]:
    """The names of the nodes kept in float (module docstring): the first Conv in graph order, every Softmax
    and the MatMul nodes that read one (through shape-only nodes), and a MaxPool that reads one of those."""
    import onnx

    nodes = list(onnx.load(str(model_path), load_external_data=False).graph.node)
    made_by = {o: n for n in nodes for o in n.output}

    def source(name: str, skip: set[str]):
        node = made_by.get(name)
        while node is not None and node.op_type in skip and node.input:
            node = made_by.get(node.input[0])
        return node

    convs = [n for n in nodes if n.op_type == "Conv"]
    keep = [n.name for n in convs[:1]]
    for n in nodes:
        if n.op_type == "Softmax":
            keep.append(n.name)
        elif n.op_type == "MatMul" and any(getattr(source(i, _SHAPE_OPS), "op_type", "") == "Softmax" for i in n.input):
            keep.append(n.name)
    for n in nodes:
        if n.op_type == "MaxPool" and getattr(source(n.input[0], {"Relu"}), "name", None) in keep:
            keep.append(n.name)
    return keep


def quantize_onnx(fp32_path: Path, crops: np.ndarray, out: Path, calibration: str = "") -> Path:
    """Write the int8 (QDQ) version of ``fp32_path`` to ``out`` atomically, keeping its metadata; the
    nodes of ``float_nodes`` stay in float."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    reader_cls = type("Reader", (_Reader, CalibrationDataReader), {})
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = read_metadata(fp32_path)
    h, w = int(meta.get("input_h", 0)), int(meta.get("input_w", 0))
    if crops.ndim != 4 or crops.shape[1:] != (3, h, w):
        raise PoseappError(f"calibration crops are {tuple(crops.shape[1:])}, the model takes (3, {h}, {w})")
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".quantize-") as tmp:
        pre = Path(tmp) / "pre.onnx"
        part = Path(tmp) / "int8.onnx"
        try:
            # ONNX's own shape inference is enough for these conv nets; ORT's symbolic one gives up on
            # Lite-HRNet and then dumps sym_shape_infer_temp.onnx and a <uuid>.data file into the working folder
            quant_pre_process(str(fp32_path), str(pre), skip_symbolic_shape=True)
            keep = float_nodes(pre)
            quantize_static(str(pre), str(part), reader_cls(crops, "input"), quant_format=QuantFormat.QDQ,
                            per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            nodes_to_exclude=keep)
        except Exception as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
            raise PoseappError(f"int8 quantisation of {fp32_path.name} failed ({reason}); use --backend onnx") from None
        proto = onnx.load(str(part))
        del proto.metadata_props[:]
        for k, v in {**meta, "quantization": "int8 static QDQ, per-channel weights; first conv, attention softmax and stem pool in float",
                     "float_nodes": ",".join(keep),
                     "calibration": calibration or f"{len(crops)} crops"}.items():
            proto.metadata_props.add(key=k, value=str(v))
        onnx.save(proto, str(part))
        os.replace(part, out)
    return out


def quantize_model(loaded: LoadedModel | WeightsRef, ann: Path, images: Path, out: Path | None = None, count: int = 128) -> Path:
    """Export ``loaded`` (fp32 ONNX, cached), calibrate on ``count`` crops of ``ann`` and write its int8 file."""
    from .runners import onnx_path_for

    fp32 = onnx_path_for(loaded)
    crops = calibration_crops(ann, images, loaded.input_hw, count, spec=loaded.spec)
    out = Path(out) if out else cached_int8_path(loaded)
    return quantize_onnx(fp32, crops, out, calibration=f"{len(crops)} person crops of {Path(ann).name}")


def int8_entry(path: Path, weights: Path) -> dict:
    """The manifest record of a shipped int8 file."""
    meta = read_metadata(path)
    return {"file": path.name, "sha256": sha256_of(path), "bytes": path.stat().st_size,
            "weights_sha256": sha256_of(weights), "calibration": meta.get("calibration", "")}
