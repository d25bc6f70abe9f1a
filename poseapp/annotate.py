"""Batch annotation: run the pipeline over every frame of each input and write
the annotated video (or images), a keypoints JSON and optionally a CSV."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
from tqdm import tqdm

from .errors import PoseappError, SourceError
from .io import ImageListSource, KeypointsCsvWriter, KeypointsJsonWriter, VideoWriter, open_source
from .pipeline import Pipeline


@dataclass
class AnnotateOptions:
    outdir: Path
    video: bool = True
    csv: bool = False
    progress: bool = True


@dataclass
class AnnotateSummary:
    input: str
    frames: int
    persons: int
    wall_s: float
    pose_s: float
    outputs: list[Path]

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def pps(self) -> float:
        return self.persons / self.pose_s if self.pose_s > 0 else 0.0

    def line(self) -> str:
        return (f"{self.input}: {self.frames} frames, {self.persons} persons, {self.fps:.1f} FPS, "
                f"{self.pps:.1f} PPS (pose stage), {self.wall_s:.1f} s")


def annotate_input(pipeline: Pipeline, input_path: str | Path, opts: AnnotateOptions) -> AnnotateSummary:
    """Annotate one video, image or folder of images; outputs are named after its stem."""
    src = open_source(str(input_path), live=False)
    stem = Path(input_path).stem if Path(input_path).is_file() else Path(input_path).name
    outdir = opts.outdir
    outdir.mkdir(parents=True, exist_ok=True)
    images = isinstance(src, ImageListSource)
    header = {"video": str(input_path), "fps": src.fps, **pipeline.describe()}
    sinks: list = []
    try:  # a writer that cannot start removes the partial files of those before it
        sinks.append(KeypointsJsonWriter(outdir / f"{stem}.keypoints.json", header))
        if opts.csv:
            sinks.append(KeypointsCsvWriter(outdir / f"{stem}.keypoints.csv"))
        video = VideoWriter(outdir / f"{stem}.annotated.mp4", src.fps, src.size) if opts.video and not images else None
    except BaseException:
        for s in sinks:
            s.abort()
        src.close()
        raise
    image_outputs: list[Path] = []
    pipeline.reset()
    frames = persons = 0
    pose_s = 0.0
    t0 = time.perf_counter()
    bar = tqdm(total=src.frame_count, desc=stem, unit="frame", disable=not opts.progress, leave=False)
    try:
        while True:
            try:
                frame = src.read()
            except SourceError as exc:  # a damaged image in a folder: report it, go on
                if not images:
                    raise
                tqdm.write(f"poseapp: {exc}; skipped", file=sys.stderr)
                continue
            if frame is None:
                break
            if images:
                pipeline.reset()  # independent photos: no tracks across them
            res = pipeline.process(frame.image, frame.index, frame.time_s)
            for s in sinks:
                s.write(frame.index, frame.time_s, res.persons)
            frames += 1
            persons += len(res.persons)
            pose_s += res.pose_ms / 1e3
            if video is not None or (images and opts.video):
                canvas = pipeline.render(frame.image, res)
                if video is not None:
                    video.write(canvas)
                else:
                    name = src.paths[frame.index].stem if len(src.paths) > 1 else stem
                    out = (outdir / stem / f"{name}.annotated.jpg") if len(src.paths) > 1 else outdir / f"{stem}.annotated.jpg"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    if not cv2.imwrite(str(out), canvas):
                        raise PoseappError(f"cannot write {out}: check the folder is writable")
                    image_outputs.append(out)
            bar.update(1)
            bar.set_postfix(fps=f"{frames / max(time.perf_counter() - t0, 1e-9):.1f}", persons=len(res.persons))
    except BaseException:
        for s in sinks:
            s.abort()
        if video is not None:
            video.abort()
        raise
    finally:
        bar.close()
        src.close()
    if frames == 0:
        for s in sinks:
            s.abort()
        if video is not None:
            video.abort()
        raise SourceError(f"no frame could be read from {input_path}: it is empty or damaged")
    outputs = [s.close() for s in sinks]
    if video is not None:
        outputs.append(video.close())
    outputs += image_outputs
    return AnnotateSummary(str(input_path), frames, persons, time.perf_counter() - t0, pose_s, outputs)
