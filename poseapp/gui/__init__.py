"""Desktop GUI (PySide6): live webcam or file, FPS and PPS, models and backends
switched live, side-by-side compare. Started with ``poseapp gui``.

Nothing here imports Qt at package import time: ``poseapp.gui.command`` only
registers the subcommand, and the window is built when the command runs.
"""
