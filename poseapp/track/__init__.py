"""Track-id assignment and temporal smoothing."""
from .smoother import OneEuroConfig, PoseSmoother
from .tracker import Tracked, Tracker, TrackerConfig

__all__ = ["OneEuroConfig", "PoseSmoother", "Tracked", "Tracker", "TrackerConfig"]
