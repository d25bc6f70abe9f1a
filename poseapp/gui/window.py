"""The main window: video panes in the middle, settings (and compare mode) on
the left, live figures and pose agreement on the right; toolbar, menus, shortcuts, status bar.

All work happens in ``PipelineWorker``; the window only sends commands and
paints what comes back, so it never freezes. Errors go to the status bar.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import cv2
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QComboBox, QDockWidget, QFileDialog, QGroupBox, QInputDialog, QLabel, QMainWindow, QMessageBox,
    QScrollArea, QStyle, QToolBar, QVBoxLayout, QWidget,
)

from ..nets import list_models
from ..pipeline import PipelineConfig
from ..runtime.manifest import resolve_backend
from ..runtime.weights import default_weights
from ..settings import update, values
from .engine import BACKEND_NAMES, Packet
from .figures import History, RateMeter
from .icon import app_icon, toolbar_icon
from .recorder import safe_stem
from .settings import GuiSettings, save_settings
from .sources import droppable, list_cameras, source_label
from .widgets.compare_panel import AgreementPanel, CompareControls
from .widgets.figures_panel import FiguresPanel
from .widgets.pane_area import PaneArea
from .widgets.playback import PlaybackBar
from .widgets.plot import RollingPlot, Series
from .widgets.settings_panel import SettingsPanel
from .widgets.video_view import VideoView
from .worker import PipelineWorker, SourceInfo

log = logging.getLogger(__name__)

PLACEHOLDER = ("Open a video (Ctrl+O), a folder of images (Ctrl+Shift+O), a camera or a stream URL (Ctrl+U),\n"
               "or drop a file here.")
SHORTCUTS = (
    ("Space", "play / pause"), (". or Right", "one frame forward"), ("Left", "one frame back (files)"),
    ("Home", "first frame"), ("S", "snapshot (PNG)"), ("R", "record on / off"), ("M / Shift+M", "next / previous model"),
    ("B", "switch backend (PyTorch / ONNX Runtime)"), ("C", "compare mode on / off"), ("L", "loop on / off"),
    ("F5", "reopen the source (e.g. a camera that was unplugged)"), ("F11", "full screen"),
    ("Ctrl+O / Ctrl+Shift+O / Ctrl+U", "open a file / a folder / a URL"), ("Ctrl+Q", "quit"),
)
PLOT_SERIES = [
    Series("display_fps", "display FPS", "#82dcff"), Series("pipeline_fps", "pipeline FPS", "#4f8fe6"),
    Series("pipeline_fps_b", "pipeline FPS B", "#e8a33d"), Series("pps", "PPS", "#b4e67a", "right"),
    Series("pps_b", "PPS B", "#d97a9a", "right"),
]


def model_choices() -> list[tuple[str, str]]:
    """(name, label) of every registered network; the label says whether trained weights are present."""
    return [(m, f"{m}  ✓ trained" if default_weights(m) is not None else f"{m}  (untrained)") for m in list_models()]


BACKEND_CHOICES = [(k, v) for k, v in BACKEND_NAMES.items()]


class MainWindow(QMainWindow):
    packet_shown = Signal(object)  # the Packet just painted
    error_shown = Signal(str)
    _cameras_found = Signal(object)
    ERROR_HOLD_S = 5.0  # seconds a shown error is kept against background status messages

    def __init__(self, settings: GuiSettings, store: QSettings | None = None, opener=None, persist: bool = True) -> None:
        super().__init__()
        self.settings = settings
        self.store = store
        self.persist = persist
        self.last_error = ""
        self._error_at = float("-inf")  # when show_error last ran (time.monotonic)
        self.recording = False
        self.last_packet: Packet | None = None
        self.source_info: SourceInfo | None = None
        self._playing = False
        self.display_rate = RateMeter()
        self.history = History(30.0)
        self._last_sample = 0.0
        self._camera_probe: threading.Thread | None = None
        self.worker = PipelineWorker(PipelineConfig(**values(settings)), opener)
        self.setWindowTitle("poseapp")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self._build_ui()
        self._build_actions()
        self._connect()
        self._apply_settings_to_widgets()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(500)

    # ------------------------------------------------------------ layout
    def _build_ui(self) -> None:
        models = model_choices()
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.view_a = VideoView(PLACEHOLDER)
        self.view_b = VideoView("")
        self.view_b.hide()
        self.panes = PaneArea(self.view_a, self.view_b)
        lay.addWidget(self.panes, 1)
        self.playback = PlaybackBar()
        lay.addWidget(self.playback)
        self.setCentralWidget(central)

        self.settings_panel = SettingsPanel(models, BACKEND_CHOICES)
        self.compare = CompareControls(models, BACKEND_CHOICES)
        self.settings_panel.layout().insertWidget(1, _group("Compare", self.compare))
        scroll = QScrollArea()
        scroll.setWidget(self.settings_panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        dock = QDockWidget("Settings", self)
        dock.setObjectName("settings_dock")
        dock.setWidget(scroll)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.settings_dock = dock

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(2, 2, 2, 2)
        figures = QWidget()
        bl = QVBoxLayout(figures)
        bl.setContentsMargins(0, 0, 0, 0)
        self.figures = FiguresPanel()
        bl.addWidget(self.figures)
        self.plot = RollingPlot(self.history, PLOT_SERIES, "FPS", "PPS")
        self.plot.setMinimumHeight(150)
        self.plot.setToolTip("last 30 s: FPS on the left axis, PPS on the right axis")
        bl.addWidget(self.plot)
        rl.addWidget(_group("Live figures", figures))
        self.agreement = AgreementPanel()
        self.agreement_box = _group("Pose agreement (compare mode)", self.agreement)
        self.agreement_box.hide()
        rl.addWidget(self.agreement_box)
        rl.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(right)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        dock = QDockWidget("Figures", self)
        dock.setObjectName("figures_dock")
        dock.setWidget(scroll)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.figures_dock = dock
        self.resizeDocks([self.settings_dock, self.figures_dock], [280, 410], Qt.Orientation.Horizontal)

        self.status_text = QLabel("")
        self.status_text.setObjectName("status_text")
        self.status_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.models_label = QLabel("")
        self.rec_label = QLabel("")
        self.rec_label.setStyleSheet("color: #ff5050; font-weight: 700;")
        sb = self.statusBar()
        sb.addWidget(self.status_text, 1)
        sb.addPermanentWidget(self.rec_label)
        sb.addPermanentWidget(self.models_label)

    def _action(self, text: str, keys, slot, checkable: bool = False, tip: str = "", icon=None) -> QAction:
        a = QAction(text, self)
        if isinstance(icon, QIcon):
            a.setIcon(icon)
        elif icon is not None:
            a.setIcon(self.style().standardIcon(icon))
        if keys:
            a.setShortcuts([QKeySequence(k) for k in (keys if isinstance(keys, (list, tuple)) else [keys])])
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.setCheckable(checkable)
        if tip:
            a.setToolTip(tip)
        a.triggered.connect(slot)
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        A = self._action
        SP = QStyle.StandardPixmap
        self.act_open = A("Open video or image…", "Ctrl+O", self.choose_file, icon=SP.SP_DialogOpenButton)
        self.act_folder = A("Open image folder…", "Ctrl+Shift+O", self.choose_folder, icon=SP.SP_DirOpenIcon)
        self.act_url = A("Open stream URL…", "Ctrl+U", self.choose_url, icon=SP.SP_DriveNetIcon)
        self.act_reopen = A("Reopen source", "F5", self.reopen, tip="reopen the last source (a camera that was unplugged)",
                            icon=SP.SP_BrowserReload)
        self.act_close = A("Close source", "Ctrl+W", self.worker.close_source)
        self.act_snapshot = A("Snapshot", "S", self.snapshot, tip="save the annotated frame as PNG (S)", icon=SP.SP_DialogSaveButton)
        self.act_record = A("Record", "R", self.toggle_record, checkable=True,
                            tip="record the annotated video and the keypoints JSON (R)", icon=toolbar_icon("record"))
        self.act_compare = A("Compare", "C", self._toggle_compare_action, checkable=True,
                             tip="second model or backend side by side (C)", icon=toolbar_icon("compare"))
        self.act_play = A("Play / pause", "Space", self.worker.toggle_play)
        self.act_step = A("Step", [".", "Right"], self.worker.step)
        self.act_back = A("Step back", "Left", self.step_back)
        self.act_home = A("First frame", "Home", lambda: self.worker.seek(0))
        self.act_next_model = A("Next model", "M", lambda: self.cycle_model(1))
        self.act_prev_model = A("Previous model", "Shift+M", lambda: self.cycle_model(-1))
        self.act_backend = A("Switch backend", "B", self.toggle_backend)
        self.act_loop = A("Loop", "L", lambda: self.playback.loop.toggle())
        self.act_full = A("Full screen", "F11", self._toggle_full_screen, checkable=True)
        self.act_quit = A("Quit", "Ctrl+Q", self.close)
        self.act_keys = A("Keyboard shortcuts", "F1", self.show_shortcuts)
        self.act_about = A("About poseapp", None, self.show_about)

        m = self.menuBar().addMenu("&File")
        for a in (self.act_open, self.act_folder, self.act_url, self.act_reopen, self.act_close):
            m.addAction(a)
        self.recent_menu = m.addMenu("Recent sources")
        m.addSeparator()
        for a in (self.act_snapshot, self.act_record):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = self.menuBar().addMenu("&Playback")
        for a in (self.act_play, self.act_step, self.act_back, self.act_home, self.act_loop):
            m.addAction(a)
        m = self.menuBar().addMenu("&Model")
        for a in (self.act_next_model, self.act_prev_model, self.act_backend, self.act_compare):
            m.addAction(a)
        m = self.menuBar().addMenu("&View")
        m.addAction(self.act_full)
        m.addAction(self.settings_dock.toggleViewAction())
        m.addAction(self.figures_dock.toggleViewAction())
        m = self.menuBar().addMenu("&Help")
        m.addAction(self.act_keys)
        m.addAction(self.act_about)

        tb = QToolBar("Source")
        tb.setObjectName("source_toolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(tb)
        tb.addAction(self.act_open)
        tb.addAction(self.act_folder)
        tb.addAction(self.act_url)
        self.camera_combo = QComboBox()
        self.camera_combo.setMinimumWidth(150)
        self.camera_combo.setToolTip("cameras that open on this computer")
        tb.addWidget(self.camera_combo)
        tb.addAction(self.act_reopen)
        tb.addSeparator()
        tb.addAction(self.act_snapshot)
        tb.addAction(self.act_record)
        tb.addAction(self.act_compare)
        self._set_cameras(None)

    def _connect(self) -> None:
        w = self.worker
        w.packet_ready.connect(self._on_packet)
        w.message.connect(self.show_status)
        w.error.connect(self.show_error)
        w.busy.connect(self._on_busy)
        w.source_opened.connect(self._on_source_opened)
        w.source_closed.connect(self._on_source_closed)
        w.source_ended.connect(lambda: self.show_message("end of the video: Space plays it again, Loop (L) repeats it"))
        w.playing_changed.connect(self._on_playing)
        w.models_changed.connect(self._on_models)
        w.recording_changed.connect(self._on_recording)
        w.compare_failed.connect(lambda: self._set_compare_checked(False))
        sp = self.settings_panel
        sp.model_changed.connect(self._on_model_chosen)
        sp.detector_changed.connect(lambda spec: self.worker.set_detector(spec or None))
        sp.settings_changed.connect(self.worker.apply_settings)
        self.compare.changed.connect(self._on_compare_chosen)
        pb = self.playback
        pb.play_toggled.connect(w.toggle_play)
        pb.step_clicked.connect(w.step)
        pb.seek_requested.connect(w.seek)
        pb.loop_toggled.connect(w.set_loop)
        pb.real_time_toggled.connect(w.set_real_time)
        self.camera_combo.activated.connect(self._on_camera_chosen)
        self._cameras_found.connect(self._set_cameras)

    def _apply_settings_to_widgets(self) -> None:
        s = self.settings
        sp = self.settings_panel
        sp.select_model(s.model, s.backend)
        sp.set_detector_text(s.detector)
        sp.set_settings_values(s)
        sp.output_dir.setText(s.output_dir)
        self.playback.loop.setChecked(s.loop)
        self.playback.real_time.setChecked(s.real_time)
        self.worker.loop, self.worker.real_time = s.loop, s.real_time
        models = list_models()
        other = s.compare_model if s.compare_model in models else next((m for m in models if m != s.model), s.model)
        self.compare.select(other, s.compare_backend)
        self._set_compare_checked(s.compare)
        self._fill_recent()

    # ------------------------------------------------------------ start / stop
    def start(self) -> None:
        """Start the worker and load the detector, the model and (if on) the compare model."""
        s = self.settings
        self.worker.start()
        self.worker.set_detector(s.detector or None)
        self.worker.set_model(*self.settings_panel.model_selection())
        sel = self.compare.selection()
        if sel:
            self.worker.set_compare(*sel)
        self.refresh_cameras()

    def collect_settings(self) -> GuiSettings:
        s = self.settings
        sp = self.settings_panel
        s.model, s.backend = sp.model_selection()
        s.detector = sp.detector.text().strip()
        update(s, sp.settings_values())
        s.loop = self.playback.loop.isChecked()
        s.real_time = self.playback.real_time.isChecked()
        s.compare = self.compare.enabled.isChecked()
        s.compare_model, s.compare_backend = self.compare.model.currentData(), self.compare.backend.currentData()
        s.output_dir = sp.output_dir.text().strip() or s.output_dir
        return s

    def closeEvent(self, event) -> None:
        if self.persist and self.store is not None:
            save_settings(self.store, self.collect_settings())
            self.store.setValue("window/geometry", self.saveGeometry())
            self.store.setValue("window/state", self.saveState())
            self.store.sync()
        self.shutdown()
        super().closeEvent(event)

    def restore_layout(self) -> None:
        if self.store is None:
            return
        geo, state = self.store.value("window/geometry"), self.store.value("window/state")
        if geo is not None:
            self.restoreGeometry(geo)
        if state is not None:
            self.restoreState(state)

    def shutdown(self) -> None:
        """Stop the worker (closing the source and saving any recording).

        Waits for the frame in flight: a thread destroyed while running would abort the process.
        """
        self._timer.stop()
        if self.worker.isRunning():
            self.hide()
            self.worker.stop(timeout_ms=None)
        if self._camera_probe is not None:
            self._camera_probe.join(10.0)

    # ------------------------------------------------------------ sources
    def open_source(self, spec: str) -> None:
        spec = str(spec).strip()
        if not spec:
            return
        self.view_a.placeholder = f"opening {source_label(spec)}…"
        self.view_a.update()
        self.worker.open_source(spec)

    def choose_file(self) -> None:
        start = self.settings.source if Path(self.settings.source).exists() else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, "Open video or image", start,
            "Videos and images (*.mp4 *.avi *.mov *.mkv *.webm *.m4v *.mpg *.mpeg *.wmv *.gif *.jpg *.jpeg *.png *.bmp *.webp *.tif *.tiff);;All files (*)")
        if path:
            self.open_source(path)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a folder of images", str(Path.home()))
        if path:
            self.open_source(path)

    def choose_url(self) -> None:
        last = next((r for r in self.settings.recent_sources if "://" in r), "rtsp://")
        url, ok = QInputDialog.getText(self, "Open stream", "RTSP or HTTP URL:", text=last)
        if ok and url.strip():
            self.open_source(url.strip())

    def reopen(self) -> None:
        self.worker.reopen()

    def refresh_cameras(self) -> None:
        if self._camera_probe is not None and self._camera_probe.is_alive():
            return
        self.camera_combo.setItemText(0, "Camera: looking…")
        self._camera_probe = threading.Thread(target=lambda: self._cameras_found.emit(list_cameras()), name="poseapp-cameras", daemon=True)
        self._camera_probe.start()

    def _set_cameras(self, indices: list[int] | None) -> None:
        c = self.camera_combo
        c.clear()
        if indices is None:
            c.addItem("Camera…", None)
        else:
            c.addItem("Camera…" if indices else "Camera: none found", None)
            for i in indices:
                c.addItem(f"Camera {i}", i)
        c.addItem("Other index…", "other")
        c.addItem("Refresh the list", "refresh")

    def _on_camera_chosen(self, row: int) -> None:
        data = self.camera_combo.itemData(row)
        self.camera_combo.setCurrentIndex(0)
        if data == "refresh":
            self.refresh_cameras()
        elif data == "other":
            index, ok = QInputDialog.getInt(self, "Open camera", "Camera index:", 0, 0, 99)
            if ok:
                self.open_source(str(index))
        elif isinstance(data, int):
            self.open_source(str(data))

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for spec in self.settings.recent_sources:
            a = self.recent_menu.addAction(spec)
            a.triggered.connect(lambda _=False, s=spec: self.open_source(s))
        self.recent_menu.setEnabled(bool(self.settings.recent_sources))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        md = event.mimeData()
        if md.hasUrls() or md.hasText():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        spec = dropped_source(event.mimeData())
        if spec:
            event.acceptProposedAction()
            self.open_source(spec)
        else:
            self.show_error("dropped item is not a video, an image, a folder or a URL")

    # ------------------------------------------------------------ models
    def _on_model_chosen(self, model: str, backend: str) -> None:
        self.worker.set_model(model, backend)

    def cycle_model(self, step: int) -> None:
        c = self.settings_panel.model
        c.setCurrentIndex((c.currentIndex() + step) % c.count())
        self.worker.set_model(*self.settings_panel.model_selection())

    def toggle_backend(self) -> None:
        """B: PyTorch <-> ONNX Runtime (int8 goes back to PyTorch; it is chosen in the Backend list)."""
        model, backend = self.settings_panel.model_selection()
        self.set_model(model, "onnx" if backend == "torch" else "torch")

    def set_model(self, model: str, backend: str) -> None:
        """Select and switch to ``model`` on ``backend`` (takes effect on the next frame)."""
        self.settings_panel.select_model(model, backend)
        self.worker.set_model(model, backend)

    def set_compare(self, model: str | None, backend: str = "onnx") -> None:
        """Compare with ``model`` on ``backend`` side by side, or stop comparing (None)."""
        if model is not None:
            self.compare.select(model, backend)
        self._set_compare_checked(model is not None)
        self._on_compare_chosen()

    def _set_compare_checked(self, on: bool) -> None:
        for w in (self.compare.enabled, self.act_compare):
            w.blockSignals(True)
            w.setChecked(on)
            w.blockSignals(False)
        self.agreement_box.setVisible(on)
        if not on:
            self.agreement.clear()

    def _toggle_compare_action(self, on: bool) -> None:
        self._set_compare_checked(on)
        self._on_compare_chosen()

    def _on_compare_chosen(self) -> None:
        self._set_compare_checked(self.compare.enabled.isChecked())
        sel = self.compare.selection()
        self.worker.set_compare(*sel) if sel else self.worker.set_compare(None)

    def _on_models(self, models: list[tuple[str, str]]) -> None:
        if models:
            model, backend = models[0]
            if self.settings_panel.model_selection()[1] == "auto" and resolve_backend(model, "auto") == backend:
                backend = "auto"  # the list keeps Auto (and the settings remember it); the panes name what runs
            self.settings_panel.select_model(model, backend)
        text = "  |  ".join(f"{'AB'[i]}: {m} · {BACKEND_NAMES.get(b, b)}" for i, (m, b) in enumerate(models))
        self.models_label.setText(text)
        if len(models) < 2:
            self.view_b.hide()
            self.view_b.clear()

    def _on_busy(self, what: str) -> None:
        self.settings_panel.busy.setText(f"⏳ {what}…" if what else "")
        if what:
            self.show_status(f"{what}…")

    # ------------------------------------------------------------ frames
    def _on_packet(self) -> None:
        packet = self.worker.take_packet()
        if packet is None:
            return
        self.last_packet = packet
        self.display_rate.tick()
        panes = packet.panes
        for view, pane in zip((self.view_a, self.view_b), panes):
            view.set_frame(pane.image_bgr)
            f = pane.figures
            view.set_caption(pane.title, f"{f.pipeline_fps:.1f} FPS · {f.pps:.0f} PPS · {f.persons} persons")
        self.view_b.setVisible(len(panes) > 1)
        self.figures.set_panes(len(panes), [f"{'AB'[i]}: {p.model}\n{BACKEND_NAMES.get(p.backend, p.backend)}" for i, p in enumerate(panes)])
        for i, pane in enumerate(panes):
            self.figures.set_figures(i, pane.figures)
        self.figures.set_display_fps(self.display_rate.rate)
        if len(panes) > 1:
            self.agreement.show_packet(packet)
        self.panes.set_frame_size((panes[0].image_bgr.shape[1], panes[0].image_bgr.shape[0]))
        self.playback.set_position(packet.frame_index, packet.time_s, packet.live, packet.dropped)
        now = time.monotonic()
        if now - self._last_sample >= 0.25:
            self._last_sample = now
            self.history.add(self._plot_values(packet))
            self.plot.update()
        self.packet_shown.emit(packet)

    def _plot_values(self, packet: Packet) -> dict[str, float]:
        a = packet.panes[0].figures
        values = {"pipeline_fps": a.pipeline_fps, "pps": a.pps}
        if self.display_rate.rate > 0:  # not yet measurable on the first frame
            values["display_fps"] = self.display_rate.rate
        if len(packet.panes) > 1:
            b = packet.panes[1].figures
            values.update(pipeline_fps_b=b.pipeline_fps, pps_b=b.pps)
        return values

    def _tick(self) -> None:
        self.figures.set_display_fps(self.display_rate.rate)
        self.plot.update()
        self.agreement.plot.update()

    def _on_playing(self, playing: bool) -> None:
        self._playing = playing
        self.playback.set_playing(playing)

    def _on_source_opened(self, info: SourceInfo) -> None:
        self.source_info = info
        self.setWindowTitle(f"poseapp — {info.label}")
        self.playback.set_source(info.frame_count, info.live, info.fps)
        self.view_a.placeholder = f"{info.label}: waiting for the first frame…"
        self.view_a.clear()
        self.view_b.clear()
        self.history.clear()
        self.agreement.clear()
        self.settings.remember_source(info.spec)
        self._fill_recent()
        w, h = info.size_wh
        what = "live" if info.live else (f"{info.frame_count} frames" if info.frame_count else "")
        self.show_message(f"opened {info.label} ({w}x{h}{', ' + what if what else ''}, {info.fps:.0f} fps)")

    def _on_source_closed(self, why: str) -> None:
        self.source_info = None
        self.playback.set_source(None, False, 30.0)
        self.playback.set_text("no source" if not why else "source closed")
        if why:
            self.view_a.placeholder = f"{why}\n\n{PLACEHOLDER}"
            if self.last_packet is None:
                self.view_a.update()
        else:
            self.view_a.placeholder = PLACEHOLDER
            self.view_a.clear()
            self.view_b.clear()
            self.setWindowTitle("poseapp")

    # ------------------------------------------------------------ output
    def output_dir(self) -> Path:
        return Path(self.settings_panel.output_dir.text().strip() or self.settings.output_dir).expanduser()

    def snapshot(self) -> Path | None:
        """Save the annotated frame (both panes in compare mode) as PNG in the output folder."""
        if self.last_packet is None:
            self.show_error("no frame to save yet: open a source first")
            return None
        label = self.source_info.label if self.source_info else "poseapp"
        out = self.output_dir() / f"{safe_stem(label)}-{time.strftime('%Y%m%d-%H%M%S')}-{self.last_packet.frame_index:06d}.png"
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            if not cv2.imwrite(str(out), self.last_packet.composite()):
                raise OSError("the image could not be written")
        except OSError as exc:
            self.show_error(f"cannot save snapshot {out} ({exc}): choose another output folder")
            return None
        self.show_message(f"snapshot saved: {out}")
        return out

    def toggle_record(self) -> None:
        if self.recording:
            self.worker.stop_recording()
        else:
            self.worker.start_recording(self.output_dir())
        self.act_record.setChecked(self.recording)  # the worker's answer sets the final state

    def _on_recording(self, on: bool, paths) -> None:
        self.recording = on
        self.act_record.setChecked(on)
        self.rec_label.setText("● REC" if on else "")
        if not on and paths:
            self.show_message("saved " + ", ".join(p.name for p in paths) + f" in {paths[0].parent}")

    def step_back(self) -> None:
        if self.last_packet is not None and not self.last_packet.live:
            self.worker.set_playing(False)
            self.worker.seek(max(0, self.last_packet.frame_index - 1))

    # ------------------------------------------------------------ messages
    def show_message(self, text: str) -> None:
        self.status_text.setStyleSheet("")
        self.status_text.setText(text)

    def show_status(self, text: str) -> None:
        """A background message (a load that started or ended): it does not cover a fresh error.

        An error stays in the status bar for at least ``ERROR_HOLD_S`` against
        such messages (what is loading is still shown in the settings panel);
        what the window says after a user action (a source opened, a snapshot or a recording saved)
        replaces it at once.
        """
        if time.monotonic() - self._error_at < self.ERROR_HOLD_S:
            log.info("status kept on the error; not shown: %s", text)
            return
        self.show_message(text)

    def show_error(self, text: str) -> None:
        log.info("error shown: %s", text)
        self.last_error = text
        self._error_at = time.monotonic()
        self.status_text.setStyleSheet("color: #ff6b6b; font-weight: 600;")
        self.status_text.setText(f"⚠ {text}")
        self.error_shown.emit(text)

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
        box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard shortcuts", f"<table>{rows}</table>", parent=self)
        box.setModal(False)
        box.show()

    def show_about(self) -> None:
        from .. import __version__

        QMessageBox.about(self, "About poseapp", f"<b>poseapp {__version__}</b><br>Real-time multi-person pose estimation on the CPU.")

    def _toggle_full_screen(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()


def _group(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    lay = QVBoxLayout(box)
    lay.setContentsMargins(2, 2, 2, 2)
    lay.addWidget(widget)
    return box


def dropped_source(mime) -> str | None:
    """The source a drop carries: a local video/image/folder path or a URL."""
    if mime.hasUrls():
        for url in mime.urls():
            if url.isLocalFile():
                path = url.toLocalFile()
                if droppable(path):
                    return path
            elif url.scheme() in ("rtsp", "rtsps", "http", "https", "rtmp", "udp", "tcp"):
                return url.toString()
    if mime.hasText():
        text = mime.text().strip().splitlines()[0] if mime.text().strip() else ""
        if "://" in text:
            return text
        if text and droppable(text):
            return text
    return None
