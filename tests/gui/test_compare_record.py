"""Compare mode, recording and snapshots in a live window."""
from __future__ import annotations

import json

import av
import cv2
import pytest

from guitest import MODEL_A, MODEL_B, WAIT_MS
from poseapp.skeleton import oks


def test_compare_backends_agree_and_models_side_by_side(make_window, wait_packet, short_clip, qtbot) -> None:
    win = make_window(loop=True)
    win.open_source(str(short_clip))
    wait_packet(win, lambda p: p.seq >= 1)
    # the same network on both backends: the poses must agree (ONNX parity, live)
    win.set_compare(MODEL_A, "torch")
    p = wait_packet(win, lambda p: len(p.panes) == 2 and p.compare_frames >= 2)
    assert [(x.model, x.backend) for x in p.panes] == [(MODEL_A, "onnx"), (MODEL_A, "torch")]
    assert win.view_b.isVisible() and win.view_b.frame is not None and win.agreement_box.isVisible()
    assert p.agreement.matched >= 1 and p.agreement.matched == p.agreement.persons_a == p.agreement.persons_b
    assert p.running_oks > 0.99
    assert float(win.agreement.oks.text()) > 0.99
    # each pane has its own figures; the detector ran once for both and is charged to both
    a, b = p.panes[0].result.timings_ms, p.panes[1].result.timings_ms
    assert a["detect"] == b["detect"] and a["pose"] != b["pose"]
    assert win.figures.text("pipeline_fps", 1) != "-" and win.figures.values["pps"][1].isVisible()
    assert "torch" in win.view_b.caption.lower() or "PyTorch" in win.view_b.caption
    # two different models: the agreement is each matched pair's COCO OKS over the joints either model is
    # sure of, and clearly below the same network's ~1.0 (a B pane that still ran model A would not be)
    win.set_compare(MODEL_B, "onnx")
    p = wait_packet(win, lambda p: len(p.panes) == 2 and p.panes[1].model == MODEL_B and p.compare_frames >= 1
                    and p.agreement.matched >= 1)
    persons_a, persons_b = p.panes[0].result.persons, p.panes[1].result.persons
    thr = win.settings_panel.kpt_threshold.value()  # what the worker compares with
    for pair in p.agreement.pairs:
        i, j = pair.index_a, pair.index_b
        x1, y1, x2, y2 = persons_a.boxes[i].tolist()
        seen = (persons_a.scores[i] >= thr) | (persons_b.scores[j] >= thr)
        expected = oks(persons_a.keypoints[i], persons_b.keypoints[j], (x2 - x1) * (y2 - y1), seen if seen.any() else None)
        assert pair.oks == pytest.approx(expected, abs=1e-6)
    assert p.agreement.mean_oks < 0.95 and p.running_oks < 0.95, (p.agreement.mean_oks, p.running_oks)
    assert p.keypoint_agreement.shape == (17,)
    assert win.agreement.oks.text() != "-" and "frames" in win.agreement.running.text()
    assert p.composite().shape[1] == 2 * 640 + 4
    # Backend B on Auto: pane B runs what auto picks for model B, the list keeps Auto, the status bar names it
    from poseapp.gui.engine import BACKEND_NAMES
    from poseapp.runtime.manifest import resolve_backend

    picked = resolve_backend(MODEL_B, "auto")
    win.set_compare(MODEL_B, "auto")
    wait_packet(win, lambda p: len(p.panes) == 2 and p.panes[1].backend == picked and p.compare_frames >= 1)
    assert win.compare.backend.currentData() == "auto" and f"B: {MODEL_B} · {BACKEND_NAMES[picked]}" in win.models_label.text()
    win.set_compare(None)
    wait_packet(win, lambda p: len(p.panes) == 1)
    qtbot.waitUntil(lambda: not win.view_b.isVisible(), timeout=WAIT_MS)
    assert not win.agreement_box.isVisible()


def test_record_writes_annotate_json_and_video(make_window, wait_packet, short_clip, qtbot, tmp_path) -> None:
    win = make_window(loop=False)
    win.open_source(str(short_clip))
    wait_packet(win, lambda p: p.seq >= 1)
    win.act_record.trigger()  # R
    qtbot.waitUntil(lambda: win.recording, timeout=WAIT_MS)
    assert win.rec_label.text()
    qtbot.waitUntil(lambda: not win._playing and win.last_packet.frame_index == 11, timeout=WAIT_MS)  # end of clip
    win.act_record.trigger()
    qtbot.waitUntil(lambda: not win.recording, timeout=WAIT_MS)
    out = tmp_path / "out"
    videos = list(out.glob("two_people-*.annotated.mp4"))
    docs = list(out.glob("two_people-*.keypoints.json"))
    assert len(videos) == 1 and len(docs) == 1 and not list(out.glob(".*partial*"))
    doc = json.loads(docs[0].read_text())
    assert {"video", "fps", "model", "backend", "detector", "keypoint_names", "frames"} <= doc.keys()
    assert doc["model"] == MODEL_A and doc["backend"] == "onnx" and doc["fps"] == 10.0
    frames = doc["frames"]
    assert frames and [f["frame"] for f in frames] == list(range(frames[0]["frame"], 12))
    for f in frames:
        for person in f["persons"]:
            assert set(person) == {"track_id", "box", "score", "keypoints"} and len(person["keypoints"]) == 51
    cap = cv2.VideoCapture(str(videos[0]))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == len(frames)
    ok, img = cap.read()
    assert ok and img.shape == (360, 640, 3)
    with av.open(str(videos[0])) as c:  # the same browser-playable writer as annotate
        s = c.streams.video[0]
        assert (s.codec_context.name, s.codec_context.format.name, s.width, s.height) == ("h264", "yuv420p", 640, 360)
        assert sum(1 for _ in c.decode(s)) == len(frames)
    assert "saved" in win.status_text.text()


def test_record_in_compare_mode_writes_both_panes(make_window, wait_packet, short_clip, qtbot, tmp_path) -> None:
    win = make_window(loop=True, compare=True)
    win.open_source(str(short_clip))
    wait_packet(win, lambda p: len(p.panes) == 2)
    win.toggle_record()
    qtbot.waitUntil(lambda: win.recording, timeout=WAIT_MS)
    seq = win.last_packet.seq
    wait_packet(win, lambda p: p.seq >= seq + 2)
    win.toggle_record()
    qtbot.waitUntil(lambda: not win.recording, timeout=WAIT_MS)
    out = tmp_path / "out"
    docs = sorted(out.glob("*.json"))
    assert [d.name.split(".", 1)[1] for d in docs] == ["keypoints.json", f"{MODEL_B}-onnx.keypoints.json"]
    a, b = (json.loads(d.read_text()) for d in docs)
    assert (a["model"], b["model"]) == (MODEL_A, MODEL_B) and len(a["frames"]) == len(b["frames"]) >= 2
    cap = cv2.VideoCapture(str(next(out.glob("*.mp4"))))
    ok, img = cap.read()
    assert ok and img.shape[1] == 2 * 640 + 4  # both panes side by side


def test_snapshot_saves_the_annotated_frame(make_window, wait_packet, short_clip, qtbot, tmp_path) -> None:
    win = make_window()
    assert win.snapshot() is None and "no frame" in win.last_error
    win.open_source(str(short_clip))
    wait_packet(win, lambda p: p.seq >= 1)
    path = win.snapshot()
    assert path is not None and path.parent == tmp_path / "out" and path.suffix == ".png"
    img = cv2.imread(str(path))
    assert img.shape == (360, 640, 3) and img.std() > 20
    assert str(path) in win.status_text.text()
