import numpy as np
import pytest

from poseapp.codecs import COCO_FLIP_PAIRS, decode, encode_gaussian, flip_back


def _targets(points: np.ndarray, hw=(64, 48)) -> np.ndarray:
    maps = [encode_gaussian(p, np.ones(len(p)), hw)[0] for p in points]
    return np.stack(maps)


@pytest.mark.parametrize("method,tol", [("argmax", 0.26), ("dark", 0.05), ("beta", 0.5)])
def test_decoders_recover_subpixel_joints(method: str, tol: float) -> None:
    rng = np.random.default_rng(0)
    pts = rng.uniform([6, 6], [42, 58], size=(3, 17, 2)).astype(np.float32)
    coords, scores = decode(_targets(pts), method)
    assert coords.shape == (3, 17, 2) and scores.shape == (3, 17)
    assert np.abs(coords - pts).max() < tol
    assert scores.min() > 0.6


def test_argmax_quarter_offset_moves_towards_higher_neighbour() -> None:
    hm = np.zeros((1, 1, 8, 8), np.float32)
    hm[0, 0, 4, 4] = 1.0
    hm[0, 0, 4, 5] = 0.5
    hm[0, 0, 3, 4] = 0.2
    coords, _ = decode(hm, "argmax")
    assert coords[0, 0].tolist() == [4.25, 3.75]


def test_encode_marks_invisible_and_outside_joints() -> None:
    pts = np.array([[10, 10], [-20, 5], [30, 30]], np.float32)
    target, weight = encode_gaussian(pts, np.array([1, 1, 0]), (64, 48))
    assert weight.tolist() == [1, 0, 0]
    assert target[0].max() == pytest.approx(1.0) and target[1].max() == 0 and target[2].max() == 0
    assert np.unravel_index(target[0].argmax(), target[0].shape) == (10, 10)


def test_flip_back_swaps_sides_and_mirrors() -> None:
    pts = np.zeros((1, 17, 2), np.float32)
    pts[0, :, 0] = np.arange(17) + 10  # x
    pts[0, :, 1] = 20
    hm = _targets(pts)
    flipped_input_maps = hm[:, :, :, ::-1]  # what a network would see on a mirrored crop
    back = flip_back(flipped_input_maps, COCO_FLIP_PAIRS, stride=1)  # stride 1: a plain mirror
    coords, _ = decode(back, "argmax")
    swap = {a: b for p in COCO_FLIP_PAIRS for a, b in (p, p[::-1])}
    for j in range(17):
        assert coords[0, j, 0] == pytest.approx(pts[0, swap.get(j, j), 0], abs=0.3)


def test_flip_back_puts_the_flipped_peak_on_the_joint() -> None:
    """The app's flip test on a crop mirrored as the pipeline mirrors it (``crop[..., ::-1]``).

    A joint at input column ``x`` (heatmap ``x / 4``, as ``heatmap_to_image`` reads it) sits at
    ``W_in - 1 - x`` in the mirrored crop, so an exact network puts its peak at
    ``(W_in - 1 - x) / 4``. Mirroring that map back alone leaves the peak 0.75 heatmap px left of
    the joint (``stride=1``: no shift); ``flip_back`` at the real stride puts it back on the joint, on
    the joint's own channel, and so does the flip-test average of the two passes (HRNet's one-pixel
    shift would leave it 0.25 px right)."""
    stride, hw = 4, (64, 48)
    w_in = hw[1] * stride
    x_in = np.array([40.0, 100.0, 152.0])  # input columns of left_shoulder (5), left_hip (11), nose (0)
    y_hm = np.array([20.0, 35.0, 10.0])
    joints = [5, 11, 0]
    direct = np.zeros((17, 2), np.float32)  # the unflipped pass: peaks at the joints
    mirrored = np.zeros((17, 2), np.float32)  # the mirrored crop: right and left swap, x mirrored
    swap = {a: b for p in COCO_FLIP_PAIRS for a, b in (p, p[::-1])}
    for j, xi, yh in zip(joints, x_in, y_hm):
        direct[j] = (xi / stride, yh)
        mirrored[swap.get(j, j)] = ((w_in - 1 - xi) / stride, yh)
    vis = np.isin(np.arange(17), joints).astype(np.float32)
    hm_direct = encode_gaussian(direct, vis, hw)[0][None]
    hm_mirrored = encode_gaussian(mirrored, np.array([vis[swap.get(j, j)] for j in range(17)]), hw)[0][None]

    back, _ = decode(flip_back(hm_mirrored, COCO_FLIP_PAIRS, stride=stride), "dark")
    unshifted, _ = decode(flip_back(hm_mirrored, COCO_FLIP_PAIRS, stride=1), "dark")
    averaged, _ = decode((hm_direct + flip_back(hm_mirrored, COCO_FLIP_PAIRS, stride=stride)) * 0.5, "dark")
    for j, xi, yh in zip(joints, x_in, y_hm):
        truth = xi / stride
        assert back[0, j, 0] == pytest.approx(truth, abs=0.05), j  # on the joint's own channel
        assert unshifted[0, j, 0] == pytest.approx(truth - 0.75, abs=0.05), j
        assert back[0, j, 1] == pytest.approx(yh, abs=0.05) and unshifted[0, j, 1] == pytest.approx(yh, abs=0.05)
        assert averaged[0, j, 0] == pytest.approx(truth, abs=0.05) and averaged[0, j, 1] == pytest.approx(yh, abs=0.05)


def test_the_estimators_flip_test_is_unbiased() -> None:
    """End to end through ``TopDownEstimator.heatmaps``: a stand-in network that answers any crop with a
    Gaussian at the nose it sees (a bright pixel), in the codec's convention (heatmap = input / 4), gives
    the same nose with the flip test as without it, at every column."""
    from poseapp.estimator import TopDownEstimator

    class DotNet:
        input_hw = (128, 96)
        num_joints = 17

        def __call__(self, images: np.ndarray) -> np.ndarray:
            out = np.zeros((images.shape[0], 17, 32, 24), np.float32)
            for i, img in enumerate(images):
                y, x = np.unravel_index(img[0].argmax(), img[0].shape)
                yy, xx = np.mgrid[0:32, 0:24]
                out[i, 0] = np.exp(-((xx - x / 4) ** 2 + (yy - y / 4) ** 2) / (2 * 2.0**2))  # sub-pixel peak
            return out

    net = DotNet()
    columns = np.arange(24, 73, 3)  # away from the map's edges, where DARK's blur is not exact
    crops = np.zeros((len(columns), 3, 128, 96), np.float32)
    crops[np.arange(len(columns)), 0, 60, columns] = 1.0
    est = TopDownEstimator(net, flip_test=True, decoder="dark")
    with_flip, _ = decode(est.heatmaps(crops), "dark")
    without, _ = decode(net(crops), "dark")
    assert np.allclose(without[:, 0, 0], columns / 4, atol=0.05)
    assert np.allclose(with_flip[:, 0], without[:, 0], atol=0.05)


def test_decode_empty_batch_and_unknown_decoder() -> None:
    c, s = decode(np.zeros((0, 17, 64, 48), np.float32))
    assert c.shape == (0, 17, 2) and s.shape == (0, 17)
    with pytest.raises(ValueError, match="unknown decoder"):
        decode(np.zeros((1, 17, 64, 48), np.float32), "nope")


def test_beta_soft_argmax_is_an_expectation() -> None:
    from poseapp.codecs import decode_beta_soft_argmax

    hm = np.zeros((1, 1, 5, 5), np.float32)
    hm[0, 0, 2, 1] = hm[0, 0, 2, 2] = 1.0  # two equal peaks: the expectation lies between them
    coords, scores = decode_beta_soft_argmax(hm, beta=160)
    assert np.allclose(coords[0, 0], [1.5, 2.0], atol=1e-4)
    assert scores[0, 0] == 1.0


def test_dark_decodes_many_persons_at_once() -> None:
    """More maps than OpenCV blurs in one call (12 persons x 17 joints)."""
    rng = np.random.default_rng(1)
    pts = rng.uniform([6, 6], [42, 58], size=(12, 17, 2)).astype(np.float32)
    coords, _ = decode(_targets(pts), "dark")
    assert np.abs(coords - pts).max() < 0.05


def test_dark_kernel_scales_with_the_map_and_reads_joints_near_its_edges() -> None:
    from poseapp.codecs.heatmap import dark_kernel, decode_dark

    assert (dark_kernel(48), dark_kernel(24), dark_kernel(72), dark_kernel(6)) == (11, 5, 17, 3)
    yy, xx = np.mgrid[0:32, 0:24]  # the maps of a 128x96 input
    for x in (2.6, 3.3, 12.3, 20.7):  # 2.6 and 20.7: under 3.5 px from an edge
        hm = np.exp(-((xx - x) ** 2 + (yy - 15.4) ** 2) / (2 * 2.0**2)).astype(np.float32)[None, None]
        assert decode_dark(hm)[0][0, 0, 0] == pytest.approx(x, abs=0.05)
    # the paper's fixed kernel 11 misplaces such a joint by a quarter pixel or more
    assert abs(decode_dark(hm, 11)[0][0, 0, 0] - 20.7) > 0.25
