"""Tracker ids and the One Euro smoother."""
import numpy as np

from poseapp.detect import Detections
from poseapp.settings import Settings
from poseapp.track import PoseSmoother, Tracker


def _dets(boxes, conf=0.9):
    b = np.asarray(boxes, np.float32)
    return Detections(b, np.full(len(b), conf, np.float32))


def test_ids_follow_moving_boxes_and_restart_per_video() -> None:
    t = Tracker()
    ids = []
    for k in range(6):
        ids.append(t(_dets([[10 + 5 * k, 10, 60 + 5 * k, 110], [300 - 5 * k, 50, 350 - 5 * k, 150]])).ids.tolist())
    assert ids[0] == [1, 2] and all(sorted(i) == [1, 2] for i in ids)
    # the left box keeps id 1 as it moves
    out = t(_dets([[40, 10, 90, 110]]))
    assert out.ids.tolist() == [1]
    t.reset()
    assert t(_dets([[500, 500, 550, 600]])).ids.tolist() == [1]


def test_tracker_reports_ended_tracks() -> None:
    t = Tracker()
    t(_dets([[0, 0, 50, 100]]))
    for _ in range(t.config.track_buffer + 2):
        t(Detections.empty())
        if t.ended:
            break
    assert t.ended == {1}


def test_one_euro_reduces_jitter_and_follows_motion() -> None:
    rng = np.random.default_rng(0)
    sm = PoseSmoother(Settings(min_cutoff=1.0, beta=0.05))
    truth = np.full((17, 2), 100.0)
    raw, smooth = [], []
    for i in range(90):
        noisy = truth + rng.normal(0, 2.0, truth.shape)
        raw.append(noisy)
        smooth.append(sm(1, i / 30, noisy))
    jitter = lambda seq: np.abs(np.diff(np.stack(seq[10:]), axis=0)).mean()  # noqa: E731
    assert jitter(smooth) < 0.5 * jitter(raw)
    # a fast move is followed with little lag
    for i in range(90, 100):
        out = sm(1, i / 30, truth + 10.0 * (i - 89))
    assert np.abs(out - (truth + 100.0)).max() < 15.0


def test_one_euro_is_time_based() -> None:
    """A dropped frame (longer dt) lets the filter move further, as it should."""
    a, b = PoseSmoother(), PoseSmoother()
    p0, p1 = np.zeros((1, 2)), np.full((1, 2), 10.0)
    a(1, 0.0, p0)
    b(1, 0.0, p0)
    step_short = a(1, 1 / 30, p1)[0, 0]
    step_long = b(1, 4 / 30, p1)[0, 0]
    assert step_long > step_short > 0


def test_smoother_state_dropped_per_track() -> None:
    sm = PoseSmoother()
    sm(1, 0.0, np.zeros((17, 2)))
    sm(2, 0.0, np.zeros((17, 2)))
    sm.drop({1})
    assert len(sm) == 1
    # a new track with a reused id starts fresh (no pull towards the old position)
    sm.drop({2})
    out = sm(2, 0.1, np.full((17, 2), 50.0))
    assert np.allclose(out, 50.0)


def test_smooth_a_frame_of_tracks_at_once_equals_one_at_a_time() -> None:
    """``smooth`` (the pipeline's call: N x K x 2) == each track alone, tracks last seen at different times."""
    rng = np.random.default_rng(3)
    frames = [rng.uniform(0, 300, (3, 17, 2)) for _ in range(5)]
    present = [[1, 2], [1, 2, 3], [2, 3], [1, 2, 3], [3, 1]]  # track 1 misses frame 2, track 3 starts late
    together, alone = PoseSmoother(Settings(min_cutoff=0.5, beta=0.1)), PoseSmoother(Settings(min_cutoff=0.5, beta=0.1))
    for f, (kps, ids) in enumerate(zip(frames, present)):
        got = together.smooth(np.array(ids), f / 30, kps[: len(ids)])
        assert got.shape == (len(ids), 17, 2) and got.dtype == np.float32
        want = np.stack([alone(tid, f / 30, kps[i]) for i, tid in enumerate(ids)])
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert together.smooth(np.zeros(0, np.int64), 1.0, np.zeros((0, 17, 2))).shape == (0, 17, 2)
