"""int8 ONNX models (``poseapp quantize``, ``--backend onnx-int8``) on real person crops."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from poseapp.cli import main
from poseapp.codecs.heatmap import decode
from poseapp.errors import PoseappError
from poseapp.nets import create_model
from poseapp.runtime import OnnxRunner, create_runner, read_metadata, save_checkpoint
from poseapp.runtime.quantize import calibration_crops


@pytest.fixture
def coco_train(shared_data: Path) -> tuple[Path, Path]:
    root = shared_data / "coco-mini"
    return root / "annotations/person_keypoints_train2017.json", root / "train2017"


@pytest.fixture
def trained_like(tmp_path: Path) -> Path:
    """A checkpoint at 128x96 (any weights work: int8 is compared with its own fp32 model)."""
    return save_checkpoint(create_model("lpn50"), tmp_path / "lpn50.pt", "lpn50", num_joints=17, input_hw=[128, 96])


def test_quantize_writes_an_int8_model_that_agrees_with_fp32(coco_train, trained_like, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("POSEAPP_CACHE", str(tmp_path / "cache"))
    ann, images = coco_train
    with pytest.raises(PoseappError, match="poseapp quantize"):
        create_runner("lpn50", "onnx-int8", trained_like)  # nothing quantised yet: says how to make it
    assert main(["quantize", "--model", "lpn50", "--weights", str(trained_like), "--ann", str(ann),
                 "--images", str(images), "--crops", "32"]) == 0
    assert "onnx-int8" in capsys.readouterr().out
    int8 = create_runner("lpn50", "onnx-int8", trained_like)  # found in the cache, no --out needed
    fp32 = create_runner("lpn50", "onnx", trained_like)
    assert int8.backend == "onnx-int8" and int8.input_hw == fp32.input_hw == (128, 96)
    meta = read_metadata(int8.path)
    assert meta["model"] == "lpn50" and "int8" in meta["quantization"] and "32 person crops" in meta["calibration"]
    graph = onnx.load(str(int8.path)).graph
    ops = {n.op_type for n in graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    assert any(t.data_type == onnx.TensorProto.INT8 for t in graph.initializer)  # int8 weights stored
    # real crops the calibration did not see (val), decoded the same way
    val = calibration_crops(ann.parent / "person_keypoints_val2017.json", images.parent / "val2017", (128, 96), 24)
    hf, hq = fp32(val), int8(val)
    assert hq.shape == hf.shape == (24, 17, 32, 24)
    cf, _ = decode(hf, "argmax")
    cq, _ = decode(hq, "argmax")
    dist = np.linalg.norm(cf - cq, axis=-1)
    assert np.median(dist) <= 1.0, f"int8 keypoints moved {np.median(dist):.2f} heatmap px (median)"
    assert np.abs(hq - hf).mean() < 0.25 * np.abs(hf).mean() + 1e-6
    _assert_lpn_float_nodes(int8.path)


def _assert_lpn_float_nodes(path: Path) -> None:
    """lpn50's int8 file keeps its global-context attention (every Softmax and the MatMul applying it) and its
    stem MaxPool in float, and the session the runner makes keeps that pool in float after ONNX Runtime's graph
    optimisation (without the QDQPropagationTransformer it reads the float stem conv, not a QuantizeLinear)."""
    import onnxruntime as ort

    from poseapp.runtime.runners import session_options

    graph = onnx.load(str(path)).graph
    made_by = {o: n for n in graph.node for o in n.output}
    softmax = [n for n in graph.node if n.op_type == "Softmax"]
    matmul = [n for n in graph.node if n.op_type == "MatMul"]
    assert len(softmax) == len(matmul) == 16  # one per LWBottleneck of LPN-50 (3 + 4 + 6 + 3)
    names = set(read_metadata(path)["float_nodes"].split(","))
    assert {n.name for n in softmax + matmul} <= names and "/maxpool/MaxPool" in names
    for n in graph.node:  # nothing quantises an attention weight
        if n.op_type == "QuantizeLinear":
            src = made_by.get(n.input[0])
            while src is not None and src.op_type in ("Transpose", "Reshape"):
                src = made_by.get(src.input[0])
            assert src is None or src.op_type != "Softmax", n.name
    pool = next(n for n in graph.node if n.op_type == "MaxPool")
    assert made_by[pool.input[0]].op_type == "Relu"  # float in, no DequantizeLinear
    opts, disabled = session_options(1, quantized=True)
    opts.optimized_model_filepath = str(path.with_suffix(".optimized.onnx"))
    ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"], disabled_optimizers=disabled)
    optimized = onnx.load(opts.optimized_model_filepath).graph
    made_by = {o: n for n in optimized.node for o in n.output}
    pools = [n for n in optimized.node if n.op_type == "MaxPool"]
    assert len(pools) == 1 and made_by[pools[0].input[0]].op_type != "QuantizeLinear"


def test_quantize_bad_input_is_one_line(coco_train, tmp_path, capsys) -> None:
    ann, images = coco_train
    assert main(["quantize", "--model", "lpn50", "--ann", str(tmp_path / "missing.json"), "--images", str(images)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--ann" in err and "not found" in err
    assert main(["quantize", "--model", "lpn50", "--ann", str(ann), "--images", str(images), "--input", "100x7"]) == 2
    assert "--input" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_calibration_crops_are_the_apps_crops(coco_train) -> None:
    ann, images = coco_train
    crops = calibration_crops(ann, images, (64, 48), 20)
    assert crops.shape == (20, 3, 64, 48) and crops.dtype == np.float32
    assert 0.3 < crops.std() < 3.0  # ImageNet-normalised pixels, not zeros


def test_quantize_leaves_nothing_in_the_working_folder(tmp_path, monkeypatch) -> None:
    """ONNX Runtime's symbolic shape inference dumps ``sym_shape_infer_temp.onnx`` and a ``<uuid>.data``
    file into the current folder when it gives up (it does on Lite-HRNet): quantising must not run it."""
    from poseapp.runtime import export_onnx, load_model
    from poseapp.runtime.quantize import quantize_onnx

    loaded = load_model("litehrnet18-cbam", weights=None)
    fp32 = export_onnx(loaded, tmp_path / "models" / "m.onnx")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    h, w = loaded.input_hw
    crops = np.random.default_rng(0).random((8, 3, h, w), dtype=np.float32)
    out = quantize_onnx(fp32, crops, tmp_path / "models" / "m.int8.onnx")
    assert out.is_file() and list(work.iterdir()) == []
    assert sorted(p.name for p in out.parent.iterdir()) == ["m.int8.onnx", "m.onnx"]  # no temporary left
    _assert_first_conv_float(out)


def _assert_first_conv_float(path) -> None:
    """In the int8 file the first Conv reads float weights (an initializer), every other Conv reads int8
    weights through a DequantizeLinear node; the metadata names the float one."""
    import onnx

    from poseapp.runtime.export import read_metadata

    graph = onnx.load(str(path)).graph
    made_by = {o: n.op_type for n in graph.node for o in n.output}
    inits = {i.name: i for i in graph.initializer}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    assert len(convs) > 2
    for i, conv in enumerate(convs):
        weight = conv.input[1]
        if i == 0:
            assert weight in inits and inits[weight].data_type == onnx.TensorProto.FLOAT, conv.name
        else:
            assert made_by.get(weight) == "DequantizeLinear", conv.name
    assert read_metadata(path)["float_nodes"] == convs[0].name
