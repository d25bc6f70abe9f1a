"""User-facing errors: each carries one line that names the problem and the fix.

The command line prints ``poseapp: <message>`` and exits with code 2 for these;
anything else is a bug and keeps its traceback.
"""


class PoseappError(Exception):
    """An error caused by the user's input (file, flag, model name...)."""


class WeightsError(PoseappError):
    """A checkpoint is missing, unreadable or does not fit the model."""


class SourceError(PoseappError):
    """A video, image, folder, camera or URL cannot be opened or read."""


class DetectorError(PoseappError):
    """A detector cannot be loaded or is not a detector."""
