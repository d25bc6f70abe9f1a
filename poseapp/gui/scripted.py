"""Scripted runs for tests and docs: process N frames, save a screenshot of the
whole window, print a one-line summary and quit (``poseapp gui --exit-after N
--snapshot OUT.png``)."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from .window import MainWindow


class ScriptedRun(QObject):
    """Ends the app once ``frames`` frames were shown (or the source ended, or it failed)."""

    def __init__(self, window: MainWindow, frames: int, snapshot: Path | None, timeout_s: float, panes: int = 1) -> None:
        super().__init__(window)
        self.window = window
        self.frames = max(1, frames)
        self.snapshot = snapshot
        self.panes = panes
        self.exit_code: int | None = None
        self.shown = 0
        window.worker.pause_after(self.frames)
        window.packet_shown.connect(self._on_packet)
        window.worker.source_ended.connect(lambda: self._finish(0, "the source ended"))
        window.worker.source_closed.connect(lambda why: why and self._fail(why))
        window.worker.error.connect(self._fail)
        self._watchdog = QTimer(self)
        self._watchdog.setSingleShot(True)
        self._watchdog.timeout.connect(lambda: self._fail(f"timed out after {timeout_s:.0f} s"))
        self._watchdog.start(int(timeout_s * 1000))

    def _on_packet(self, packet) -> None:
        if len(packet.panes) < self.panes:
            return  # compare pane not in yet
        self.shown = packet.seq
        if packet.seq >= self.frames:
            self._finish(0, "")

    def _fail(self, why: str) -> None:
        if self.shown == 0 and self.exit_code is None:  # no frame at all: the run failed
            print(f"poseapp: {why}", file=sys.stderr)
            self._finish(2, why)

    def _finish(self, code: int, note: str) -> None:
        if self.exit_code is not None:
            return
        self.exit_code = code
        self._watchdog.stop()
        self.window.worker.set_playing(False)
        QTimer.singleShot(400, lambda: self._grab(note))  # let the last frame and figures paint

    def _grab(self, note: str) -> None:
        w = self.window
        w._tick()
        QApplication.processEvents()
        summary = summary_line(w)
        if self.snapshot is not None:
            self.snapshot.parent.mkdir(parents=True, exist_ok=True)
            image = w.grab()
            if not image.save(str(self.snapshot)):
                print(f"poseapp: cannot write {self.snapshot}: check the folder is writable", file=sys.stderr)
                self.exit_code = 2
            else:
                summary = f"saved {self.snapshot} ({image.width()}x{image.height()}); " + summary
        print(summary + (f" ({note})" if note else ""))
        QApplication.instance().exit(self.exit_code or 0)


def summary_line(w: MainWindow) -> str:
    p = w.last_packet
    if p is None:
        return "no frame shown"
    parts = [f"{p.seq} frames", f"display {w.display_rate.rate:.1f} FPS"]
    for i, pane in enumerate(p.panes):
        f = pane.figures
        tag = f"{'AB'[i]} {pane.model}/{pane.backend}: " if len(p.panes) > 1 else f"{pane.model}/{pane.backend}: "
        parts.append(f"{tag}pipeline {f.pipeline_fps:.1f} FPS, {f.pps:.1f} PPS, {f.persons} persons")
    if p.agreement is not None and p.running_oks is not None:
        parts.append(f"mean OKS A vs B {p.running_oks:.3f}")
    return "; ".join(parts)
