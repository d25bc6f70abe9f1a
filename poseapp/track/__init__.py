"""Track-id assignment and temporal smoothing."""
from .smoother import PoseSmoother
from .tracker import Tracked, Tracker, TrackerConfig

__all__ = ["PoseSmoother", "Tracked", "Tracker", "TrackerConfig"]
