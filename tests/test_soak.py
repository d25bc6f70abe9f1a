"""Short versions of the 10,000-frame soak runs (``python -m poseapp.soak``; figures in docs/benchmarks.md)."""
from __future__ import annotations

import json
from pathlib import Path

import av

from poseapp.soak import looped_video, soak_annotate


def _frames(path: Path) -> list[int]:
    with av.open(str(path)) as f:
        return [frame.pts for frame in f.decode(video=0)]


def test_looped_video_loops_whole_groups_of_pictures(shared_data: Path, tmp_path: Path) -> None:
    """5 frames (one group of pictures) looped into at least 12: 3 whole loops, all decoded, in order, evenly
    spaced at the clip's frame rate; the walkers clip (1,394 frames, a key frame every 10) at the next key frame: 1,400 asked, 1,404 written."""
    src = shared_data / "media" / "street_11people_5frames.mp4"
    out, n = looped_video(src, 12, tmp_path / "looped.mp4")
    pts = _frames(out)
    assert n == 15 and len(pts) == 15
    steps = {b - a for a, b in zip(pts, pts[1:])}
    assert len(steps) == 1 and steps.pop() > 0  # evenly spaced across the loop seams
    with av.open(str(src)) as a, av.open(str(out)) as b:
        assert b.streams.video[0].codec_context.name == a.streams.video[0].codec_context.name  # not re-encoded
        assert float(b.streams.video[0].average_rate) == float(a.streams.video[0].average_rate)
    out, n = looped_video(shared_data / "media" / "walkers_one_by_one_1394frames.mp4", 1400, tmp_path / "w.mp4")
    pts = _frames(out)
    assert n == 1404 and len(pts) == 1404 and len({b - a for a, b in zip(pts, pts[1:])}) == 1


def test_annotate_soak_writes_every_frame_with_flat_memory(shared_data: Path, yolox_path: Path, tmp_path: Path) -> None:
    """300 frames of the walkers clip through annotate's loop: every frame is in the JSON, and the peak
    resident memory at frame 300 is within 10% of frame 100's (the 10k run checks frames 1k and 10k)."""
    video, n = looped_video(shared_data / "media" / "walkers_one_by_one_1394frames.mp4", 300, tmp_path / "v.mp4")
    r = soak_annotate(video, tmp_path / "out", [100, 300], backend="onnx", detector=str(yolox_path), csv=False)
    assert n == 300 and r.frames == 300 and set(r.marks) == {100, 300}
    doc = json.loads((tmp_path / "out" / "v.keypoints.json").read_text())
    assert len(doc["frames"]) == 300
    assert sum(len(f["persons"]) for f in doc["frames"]) > 100  # the walkers were found
    assert len(_frames(tmp_path / "out" / "v.annotated.mp4")) == 300  # the annotated video too
    assert abs(r.growth(100, 300)) <= 0.10, r.marks
