#!/usr/bin/env bash
# Regenerate every picture the README shows, with the shipped weights of the default network:
#   assets/screenshot.png          the window on the 11-person street clip (real window under Xvfb)
#   assets/screenshot-compare.png  compare mode: the default network on the default backend (auto: its int8
#                                  model where measured faster and as accurate, else fp32) and on the other one
#   assets/frames/*.jpg            annotated frames of the demo media (assets/make_frames.py)
#   assets/frames/<net>_sheet.jpg  the same four inputs as one sheet per shipped network
# Needs: apt-get install -y xvfb libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 libegl1 (Qt's xcb plugin on a bare Debian); the shared data in ../shared/data. The FPS in the screenshots is what
# this machine reaches at the time: run it with nothing else busy (a training run can be paused with
# kill -STOP <pid> and resumed with kill -CONT <pid>).
# Usage: bash packaging/screenshots.sh   (from the repository root)
set -euo pipefail
DATA=${POSEAPP_SHARED_DATA:-../shared/data}
PY=${PYTHON:-.venv/bin/python}
TMP=$(mktemp -d)
trap 'kill "$XVFB_PID" 2>/dev/null || true; rm -rf "$TMP"' EXIT
Xvfb :77 -screen 0 1600x1000x24 >/dev/null 2>&1 &
XVFB_PID=$!
sleep 1
export DISPLAY=:77 OMP_WAIT_POLICY=PASSIVE
MODEL=$("$PY" -c "from poseapp.defaults import default_model; print(default_model())")
# compare pane B: the other ONNX backend than the one auto picks for the default network
OTHER=$("$PY" -c "from poseapp.runtime.manifest import resolve_backend as r; print('onnx-int8' if r('$MODEL', 'auto') == 'onnx' else 'onnx')")
printf '[gui]\nshow_boxes=false\nshow_ids=true\nloop=true\n' > "$TMP/settings.ini"
common=(--detector "$DATA/detectors/yolox_nano.onnx" --settings "$TMP/settings.ini" --size 1440x810 --exit-after 60)
"$PY" -m poseapp gui --source "$DATA/media/street_11people_5frames.mp4" --model "$MODEL" --backend auto \
    "${common[@]}" --snapshot "$TMP/main.png"
"$PY" -m poseapp gui --source "$DATA/media/basketball_300frames.mp4" --model "$MODEL" --backend auto --compare "$OTHER" \
    "${common[@]}" --snapshot "$TMP/compare.png"
"$PY" packaging/shrink_png.py "$TMP/main.png" assets/screenshot.png
"$PY" packaging/shrink_png.py "$TMP/compare.png" assets/screenshot-compare.png
"$PY" assets/make_frames.py --shared "$DATA"
for net in $("$PY" -c "from poseapp.runtime.manifest import read_manifest; print(' '.join(sorted(read_manifest())))"); do
    "$PY" assets/make_frames.py --shared "$DATA" --model "$net" --sheet
done
ls -l assets/screenshot.png assets/screenshot-compare.png assets/frames/
