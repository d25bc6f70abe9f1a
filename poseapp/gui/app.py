"""Start the desktop app: Qt set up next to OpenCV, settings loaded, command-line
choices applied on top, window shown; optionally a scripted run."""
from __future__ import annotations

import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import PoseappError
from ..defaults import BACKEND_CHOICES, BACKENDS
from ..runtime.manifest import resolve_backend
from .qtenv import make_app, no_display

DEFAULT_SNAPSHOT_SIZE = (1600, 900)


@dataclass
class GuiOptions:
    source: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # settings given on the command line (poseapp.settings)
    compare: str | None = None  # a model name, or a backend name to compare backends
    compare_backend: str | None = None
    snapshot: Path | None = None
    exit_after: int | None = None
    settings_path: Path | None = None
    size_wh: tuple[int, int] | None = None
    timeout_s: float = 600.0

    @property
    def scripted(self) -> bool:
        return self.snapshot is not None or self.exit_after is not None


def resolve_compare(compare: str, model: str, backend: str, compare_backend: str | None) -> tuple[str, str]:
    """``--compare onnx`` compares backends of the same model; ``--compare NAME`` another model.
    ``auto`` is compared as the backend it picks for ``model``."""
    if compare in BACKEND_CHOICES:
        runs, other = resolve_backend(model, backend), resolve_backend(model, compare)
        if other == runs and compare_backend is None:
            others = ", ".join(b for b in BACKENDS if b != runs)
            raise PoseappError(f"--compare {compare} is the backend already in use ({runs}): pass another one ({others})")
        return model, compare
    from ..nets import get_spec

    get_spec(compare)  # a one-line error for an unknown name
    return compare, compare_backend or backend


def run_gui(opts: GuiOptions) -> int:
    """Show the window; returns the exit code."""
    if opts.scripted and not opts.source:
        raise PoseappError("--snapshot and --exit-after need --source (a video, image, folder, camera index or URL)")
    if opts.exit_after is not None and opts.exit_after < 1:
        raise PoseappError("--exit-after must be 1 or more")
    from ..settings import update, validate

    validate(opts.settings)
    if "model" in opts.settings:
        from ..nets import get_spec

        get_spec(opts.settings["model"])
    if not opts.scripted and no_display():
        raise PoseappError("no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset): run it on a desktop, "
                           "or script it with --snapshot/--exit-after")
    app = make_app(headless_ok=opts.scripted)
    from .icon import app_icon
    from .scripted import ScriptedRun
    from .settings import load_settings, open_store
    from .window import MainWindow

    app.setWindowIcon(app_icon())
    store = open_store(opts.settings_path)
    settings = load_settings(store)
    update(settings, opts.settings)
    if opts.compare:
        settings.compare_model, settings.compare_backend = resolve_compare(
            opts.compare, settings.model, settings.backend, opts.compare_backend)
        settings.compare = True
    elif opts.scripted:
        settings.compare = False
    window = MainWindow(settings, store, persist=not opts.scripted)
    if opts.scripted:
        window.resize(*(opts.size_wh or DEFAULT_SNAPSHOT_SIZE))
    else:
        window.resize(*(opts.size_wh or (1500, 900)))
        window.restore_layout()
    run = None
    if opts.scripted:
        frames = opts.exit_after if opts.exit_after is not None else 10
        run = ScriptedRun(window, frames, opts.snapshot, opts.timeout_s, panes=2 if settings.compare else 1)
    window.show()
    window.start()
    if opts.source:
        window.open_source(opts.source)
    signal.signal(signal.SIGINT, lambda *_: window.close())  # Ctrl+C in the terminal closes cleanly
    from PySide6.QtCore import QTimer

    pulse = QTimer()  # lets Python see Ctrl+C while Qt's loop runs
    pulse.timeout.connect(lambda: None)
    pulse.start(250)
    code = app.exec()
    pulse.stop()
    window.shutdown()
    if run is not None and run.exit_code is not None:
        return run.exit_code
    return int(code)
