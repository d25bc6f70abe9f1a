"""``Poses``, a frame's persons as arrays: checks, selection, the JSON rows and the writers fed from it."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from poseapp.io import KeypointsCsvWriter, KeypointsJsonWriter
from poseapp.poses import Poses


def _two() -> Poses:
    kps = np.stack([np.stack([np.arange(17) + 10.123456, np.arange(17) * 2 + 20.5], 1),
                    np.stack([np.arange(17) + 300.0, np.arange(17) + 40.0], 1)])
    scores = np.stack([np.linspace(0.1, 0.9, 17), np.full(17, 0.5)])
    boxes = np.array([[1.111, 2.226, 101.5, 202.75], [290.0, 30.0, 330.0, 70.0]])
    return Poses(kps, scores, boxes, np.array([0.87654, 0.5]), np.array([3, 7]))


def test_arrays_are_coerced_and_checked() -> None:
    p = _two()
    assert len(p) == 2 and p.num_keypoints == 17
    assert (p.keypoints.dtype, p.scores.dtype, p.boxes.dtype, p.box_scores.dtype, p.track_ids.dtype) == (
        np.float32, np.float32, np.float32, np.float32, np.int64)
    with pytest.raises(ValueError, match=r"scores must have shape \(2, 17\)"):
        Poses(p.keypoints, p.scores[:, :5], p.boxes, p.box_scores, p.track_ids)
    with pytest.raises(ValueError, match="keypoints must be N x K x 2"):
        Poses(p.keypoints[..., 0], p.scores, p.boxes, p.box_scores, p.track_ids)
    e = Poses.empty(17)
    assert len(e) == 0 and not e and e.keypoints.shape == (0, 17, 2) and e.boxes.shape == (0, 4) and e.to_json() == []


def test_selection_by_mask_index_array_and_slice() -> None:
    p = _two()
    assert p[p.track_ids == 7].track_ids.tolist() == [7]
    assert p[np.array([1, 0])].track_ids.tolist() == [7, 3]
    np.testing.assert_array_equal(p[1:].keypoints, p.keypoints[1:])
    with pytest.raises(TypeError, match="index Poses with a slice"):
        p[0]  # no per-person objects: one person is p[[0]] or the arrays' row 0
    with pytest.raises(TypeError):
        list(p)


def test_json_rows_keep_the_annotate_format() -> None:
    """The rows of ``poseapp annotate``'s keypoints JSON: box [x, y, w, h] to 2 decimals, score to 4,
    keypoints [x, y, s] x K to 3 (the format users parse; it must not change)."""
    rows = _two().to_json()
    f32 = lambda v: float(np.float32(v))  # noqa: E731 - the arrays hold float32
    assert rows[0]["track_id"] == 3 and isinstance(rows[0]["track_id"], int)
    assert rows[0]["box"] == [round(f32(1.111), 2), round(f32(2.226), 2), round(f32(101.5) - f32(1.111), 2),
                              round(f32(202.75) - f32(2.226), 2)] == [1.11, 2.23, 100.39, 200.52]
    assert rows[0]["score"] == 0.8765
    assert rows[0]["keypoints"][:6] == [10.123, 20.5, 0.1, 11.123, 22.5, round(f32(0.15), 3)]
    assert len(rows[1]["keypoints"]) == 51 and rows[1]["keypoints"][-3:] == [316.0, 56.0, 0.5]
    assert set(rows[1]) == {"track_id", "box", "score", "keypoints"}


def test_writers_take_poses(tmp_path) -> None:
    p = _two()
    jw = KeypointsJsonWriter(tmp_path / "a.keypoints.json", {"video": "a.mp4"})
    cw = KeypointsCsvWriter(tmp_path / "a.keypoints.csv")
    for frame, poses in enumerate([p, Poses.empty(17), p[np.array([1])]]):
        jw.write(frame, frame / 25, poses)
        cw.write(frame, frame / 25, poses)
    doc = json.loads(jw.close().read_text())
    assert [len(f["persons"]) for f in doc["frames"]] == [2, 0, 1]
    assert doc["frames"][0]["persons"] == p.to_json() and doc["frames"][2]["persons"] == p[np.array([1])].to_json()
    rows = list(csv.reader(cw.close().open()))
    assert rows[0] == list(KeypointsCsvWriter.COLUMNS) and len(rows) == 1 + 17 * 3
    assert rows[1] == ["0", "0.0000", "3", "0", "nose", "10.12", "20.50", "0.1000"]
    assert rows[17] == ["0", "0.0000", "3", "16", "right_ankle", "26.12", "52.50", "0.9000"]
    assert rows[-1] == ["2", "0.0800", "7", "16", "right_ankle", "316.00", "56.00", "0.5000"]
