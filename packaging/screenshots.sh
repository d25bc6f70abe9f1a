#!/usr/bin/env bash
# Retake the README screenshots in assets/ from a real window under Xvfb.
# Needs: apt-get install -y xvfb; the shared data in ../shared/data.
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
printf '[gui]\nshow_boxes=true\nshow_ids=true\nloop=true\n' > "$TMP/settings.ini"
common=(--detector "$DATA/detectors/yolox_nano.onnx" --settings "$TMP/settings.ini" --size 1440x810 --exit-after 40)
"$PY" -m poseapp gui --source "$DATA/media/street_11people_5frames.mp4" --model lpn50 --backend onnx \
    "${common[@]}" --snapshot "$TMP/main.png"
"$PY" -m poseapp gui --source "$DATA/media/basketball_300frames.mp4" --model lpn50 --backend onnx --compare torch \
    "${common[@]}" --snapshot "$TMP/compare.png"
"$PY" packaging/shrink_png.py "$TMP/main.png" assets/screenshot.png
"$PY" packaging/shrink_png.py "$TMP/compare.png" assets/screenshot-compare.png
ls -l assets/screenshot.png assets/screenshot-compare.png
