# poseapp: the two commands of the README.
#   make run    set up .venv and open the desktop app on the demo clip
#   make annotate  set up .venv and annotate the demo street clip into out/
#   make test   set up .venv with the test extras and run the test suite
# VENV may point elsewhere (CI reuses one keyed by the dependency list).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.poseapp-installed
SHARED ?= ../shared/data
# torch/torchvision pinned: on this project's machines they install from local disk (no CUDA download)
TORCH_PINS := torch==2.14.1 torchvision==0.29.1

.PHONY: setup run annotate test clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PINS)
	$(PY) -m pip install --quiet -e '.[dev]' $(TORCH_PINS)
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/poseapp gui --source $(SHARED)/media/dancer_545frames.mp4 --detector $(SHARED)/detectors/yolox_nano.onnx

annotate: $(STAMP)
	$(VENV)/bin/poseapp annotate $(SHARED)/media/street_11people_5frames.mp4 --detector $(SHARED)/detectors/yolox_nano.onnx -o out

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

clean:
	rm -rf $(VENV) out .pytest_cache
