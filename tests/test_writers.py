"""The annotated-video writer: H.264 yuv420p MP4s that browsers play (PyAV), mp4v through OpenCV without it."""
from __future__ import annotations

import av
import cv2
import numpy as np
import pytest

from poseapp.io import VideoWriter, writers
from poseapp.poses import Poses


def _frames(n: int, w: int, h: int) -> list[np.ndarray]:
    out = []
    for i in range(n):
        img = np.full((h, w, 3), 40, np.uint8)
        cv2.circle(img, (w // 4 + 5 * i, h // 2), 12, (0, 0, 255), -1)
        out.append(img)
    return out


def _probe(path) -> tuple[str, str, int, int, int, float]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        n = sum(1 for _ in c.decode(s))
        return s.codec_context.name, s.codec_context.format.name, s.width, s.height, n, float(s.average_rate)


@pytest.mark.parametrize("w,h", [(640, 360), (321, 241)])
def test_h264_yuv420p_frames_and_size(tmp_path, w, h) -> None:
    """Browsers play H.264 in yuv420p; odd sizes are padded to even ones (one black column/row)."""
    path = tmp_path / "clip.annotated.mp4"
    vw = VideoWriter(path, 10.0, (w, h))
    assert vw.codec == "h264"
    for f in _frames(12, w, h):
        vw.write(f)
    assert vw.close() == path and not list(tmp_path.glob(".*partial*"))
    ew, eh = w + w % 2, h + h % 2
    assert _probe(path) == ("h264", "yuv420p", ew, eh, 12, 10.0)
    data = path.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # index first: a browser starts playing before the end arrives
    cap = cv2.VideoCapture(str(path))  # OpenCV (the app's reader) decodes it too, content intact
    ok, first = cap.read()
    assert ok and first.shape == (eh, ew, 3)
    assert np.abs(first[:h, :w].astype(int) - _frames(1, w, h)[0]).mean() < 3
    if ew != w:
        assert first[:, w:].max() < 40


def test_abort_leaves_nothing(tmp_path) -> None:
    vw = VideoWriter(tmp_path / "x.mp4", 25.0, (64, 48))
    vw.write(_frames(1, 64, 48)[0])
    vw.abort()
    assert list(tmp_path.iterdir()) == []


def test_mp4v_fallback_with_one_notice(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(writers, "h264_available", lambda: False)
    monkeypatch.setattr(writers, "_notice_shown", False)
    for name in ("a.mp4", "b.mp4"):
        vw = VideoWriter(tmp_path / name, 10.0, (64, 48))
        assert vw.codec == "mp4v"
        for f in _frames(3, 64, 48):
            vw.write(f)
        vw.close()
        assert _probe(tmp_path / name)[0] == "mpeg4" and _probe(tmp_path / name)[4] == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install av" in err[0] and "mp4v" in err[0]


def _persons(n: int) -> Poses:
    """``n`` persons, person ``i`` with track id ``i`` and every keypoint value ``i`` (what the writers
    are given: the pipeline's ``Poses``)."""
    v = np.arange(n, dtype=np.float32)
    return Poses(np.broadcast_to(v[:, None, None], (n, 17, 2)), np.broadcast_to(v[:, None], (n, 17)),
                 np.zeros((n, 4)), np.ones(n), np.arange(n))


@pytest.mark.parametrize("header", [{"video": "a.mp4", "fps": 25.0}, {}])
def test_keypoints_json_streams_frames_and_parses(tmp_path, header) -> None:
    import json

    from poseapp.io import KeypointsJsonWriter

    out = tmp_path / "a.keypoints.json"
    w = KeypointsJsonWriter(out, header)
    for f in range(300):
        w.write(f, f / 25, _persons(f % 3))
    # streamed to the partial file as it goes (beyond the file buffer), not held back until close
    assert not out.exists() and w.tmp.stat().st_size > 50_000
    assert w.close() == out and not w.tmp.exists()
    doc = json.loads(out.read_text())
    assert {k: doc[k] for k in header} == header
    assert doc["keypoint_names"][0] == "nose"
    assert [f["frame"] for f in doc["frames"]] == list(range(300))
    assert [len(f["persons"]) for f in doc["frames"][:4]] == [0, 1, 2, 0]
    assert doc["frames"][2]["persons"][1] == {"track_id": 1, "box": [0.0] * 4, "score": 1.0, "keypoints": [1.0] * 51}


def test_keypoints_json_abort_removes_partial(tmp_path) -> None:
    from poseapp.io import KeypointsJsonWriter

    w = KeypointsJsonWriter(tmp_path / "b.keypoints.json", {"video": "b"})
    w.write(0, 0.0, _persons(1))
    w.abort()
    assert list(tmp_path.iterdir()) == []
