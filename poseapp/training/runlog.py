"""The training log: one JSON object per line in ``<out_dir>/log.jsonl``, echoed
as a short human line (rank 0 only)."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


class RunLog:
    def __init__(self, path: Path | None, echo: bool = True) -> None:
        self.path = path
        self.echo = echo
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, event: str, text: str | None = None, **fields: Any) -> None:
        if self.path is not None:
            record = {"event": event, "time": round(time.time(), 3), **fields}
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
        if self.echo and text:
            from tqdm import tqdm

            tqdm.write(text, file=sys.stdout)
            sys.stdout.flush()


def read_log(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def epoch_records(records: list[dict]) -> dict[int, dict]:
    """The ``epoch`` events of a log by epoch number; a resumed epoch replaces the interrupted one."""
    return {int(r["epoch"]): r for r in records if r.get("event") == "epoch"}
