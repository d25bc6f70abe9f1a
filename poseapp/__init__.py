"""poseapp: real-time multi-person human pose estimation on the CPU."""

import os

# OpenMP threads that spin while waiting steal the CPU from the other stages
# (and from the GUI) on small machines: PyTorch inference was measured ~20x
# slower on a busy 2-core machine without this. Set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Unreadable videos are reported in one line of our own; FFmpeg's log inside
# OpenCV (e.g. "moov atom not found") would print above it. OpenCV reads this
# when it first uses FFmpeg; OPENCV_FFMPEG_LOGLEVEL=24 shows its messages again.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

__version__ = "0.1.0"
