"""Constants the GUI tests share (a module of its own: test files cannot import a conftest reliably)."""

MODEL_A = "lpn50"  # the quickest networks here in both backends; ONNX export ~2 s
MODEL_B = "sfm"
WAIT_MS = 180_000  # generous: the 2 CPU cores are shared
