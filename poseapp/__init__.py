"""poseapp: real-time multi-person human pose estimation on the CPU."""

__version__ = "0.1.0"
