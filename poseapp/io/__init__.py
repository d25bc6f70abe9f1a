"""Frame sources and result writers."""
from .sources import IMAGE_EXTS, VIDEO_EXTS, Frame, ImageListSource, VideoSource, image_files, open_source
from .writers import KeypointsCsvWriter, KeypointsJsonWriter, VideoWriter

__all__ = [
    "IMAGE_EXTS", "VIDEO_EXTS", "Frame", "ImageListSource", "KeypointsCsvWriter", "KeypointsJsonWriter",
    "VideoSource", "VideoWriter", "image_files", "open_source",
]
