import numpy as np

from poseapp.crop import Cropper, apply_affines, box_to_center_size, crop_affines, heatmap_to_image


def test_box_padded_to_aspect_and_scaled() -> None:
    c, s = box_to_center_size(np.array([[100, 100, 200, 150]]), 192 / 256, 1.25)
    assert c[0].tolist() == [150, 125]
    w, h = s[0] / 1.25
    assert abs(w / h - 0.75) < 1e-6 and w == 100  # wide box: height grows


def test_crop_maps_box_centre_to_crop_centre_and_back() -> None:
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[200:260, 300:340] = 255  # a white patch at the box centre
    boxes = np.array([[270, 130, 370, 330], [10, 10, 60, 110]], np.float32)
    batch = Cropper((256, 192))(frame, boxes)
    assert batch.images.shape == (2, 3, 256, 192) and batch.images.dtype == np.float32
    # centre pixel of crop 0 is white (after normalisation, > 2)
    assert batch.images[0, :, 128, 96].min() > 2.0
    pts = np.array([[[96.0, 128.0], [0.0, 0.0]]])
    back = apply_affines(pts, batch.inverse[:1])
    assert np.allclose(back[0, 0], [320, 230], atol=1e-4)
    # heatmap (stride 4) -> image
    hm = heatmap_to_image(np.array([[[24.0, 32.0]]], np.float32), batch.inverse[:1], 4)
    assert np.allclose(hm[0, 0], [320, 230], atol=1e-3)


def test_rotated_affine_roundtrip() -> None:
    a = crop_affines(np.array([[50.0, 60.0]]), np.array([[30.0, 40.0]]), (256, 192), np.array([30.0]))
    from poseapp.crop import invert_affines

    p = np.array([[[55.0, 70.0]]])
    assert np.allclose(apply_affines(apply_affines(p, a), invert_affines(a)), p)
