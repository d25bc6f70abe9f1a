"""The live figures: display FPS, then per pane pipeline FPS, PPS, persons and
milliseconds per stage (one column per pane in compare mode)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from ..figures import STAGES, PaneFigures
from .bars import STAGE_COLORS, StageBar

ROWS = ("pipeline_fps", "pps", "persons")
ROW_TITLES = {"pipeline_fps": "Pipeline FPS", "pps": "PPS (pose)", "persons": "Persons"}
TIPS = {
    "display_fps": "frames shown per second in this window",
    "pipeline_fps": "frames per second the pipeline sustains: 1000 / mean ms per frame (all stages)",
    "pps": "persons per second through the pose stage (crop + pose network + decode), as annotate reports",
    "persons": "persons in the newest frame",
}


class FiguresPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        self.values: dict[str, list[QLabel]] = {}
        big = "font-size: 15pt; font-weight: 600;"
        self.display_fps = QLabel("-")
        self.display_fps.setStyleSheet(big + "color: #82dcff;")
        self.display_fps.setToolTip(TIPS["display_fps"])
        self.display_fps.setObjectName("display_fps")
        grid.addWidget(QLabel("Display FPS"), 0, 0)
        grid.addWidget(self.display_fps, 0, 1, 1, 2)
        self.headers = [QLabel("A"), QLabel("B")]
        for c, h in enumerate(self.headers):
            h.setStyleSheet("font-weight: 600;")
            h.setWordWrap(True)
            grid.addWidget(h, 1, c + 1)
        row = 2
        for key in ROWS + STAGES:
            title = ROW_TITLES.get(key, f"{key} ms")
            name = QLabel(title)
            if key in STAGE_COLORS:
                name.setText(f"<span style='color:{STAGE_COLORS[key]}'>■</span> {title}")
            name.setToolTip(TIPS.get(key, f"mean milliseconds of the {key} stage per frame"))
            grid.addWidget(name, row, 0)
            cells = []
            for c in range(2):
                v = QLabel("-")
                v.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                v.setObjectName(f"{key}_{'ab'[c]}")
                if key in ROWS:
                    v.setStyleSheet(big if key != "persons" else "font-weight: 600;")
                grid.addWidget(v, row, c + 1)
                cells.append(v)
            self.values[key] = cells
            row += 1
        self.bars = [StageBar(), StageBar()]
        grid.addWidget(QLabel("split"), row, 0)
        for c, b in enumerate(self.bars):
            grid.addWidget(b, row, c + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        self.set_panes(1)

    def set_panes(self, n: int, titles: list[str] | None = None) -> None:
        for key, cells in self.values.items():
            cells[1].setVisible(n > 1)
        self.bars[1].setVisible(n > 1)
        self.headers[1].setVisible(n > 1)
        self.headers[0].setVisible(n > 1)
        for h, t in zip(self.headers, titles or []):
            h.setText(t)

    def set_display_fps(self, fps: float) -> None:
        self.display_fps.setText(f"{fps:.1f}" if fps > 0 else "-")

    def set_figures(self, column: int, f: PaneFigures) -> None:
        v = self.values
        v["pipeline_fps"][column].setText(f"{f.pipeline_fps:.1f}")
        v["pps"][column].setText(f"{f.pps:.0f}" if f.pps >= 10 else f"{f.pps:.1f}")
        v["persons"][column].setText(str(f.persons))
        for s in STAGES:
            ms = f.stage_ms.get(s, 0.0)
            v[s][column].setText(f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}")
        self.bars[column].set_stage_ms({s: f.stage_ms.get(s, 0.0) for s in STAGES})

    def text(self, key: str, column: int = 0) -> str:
        return self.display_fps.text() if key == "display_fps" else self.values[key][column].text()
