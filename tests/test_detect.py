"""Person detectors on real photos."""
import cv2
import pytest

from poseapp.detect import UltralyticsDetector, YoloxOnnxDetector, create_detector
from poseapp.errors import DetectorError


def test_yolox_finds_the_bus_people(shared_data, yolox_path) -> None:
    det = create_detector(str(yolox_path))
    assert isinstance(det, YoloxOnnxDetector)
    img = cv2.imread(str(shared_data / "media" / "bus.jpg"))
    d = det(img)
    assert len(d) >= 3
    assert d.conf.max() > 0.8
    # boxes are tall (people) and inside the image
    w, h = d.xyxy[:, 2] - d.xyxy[:, 0], d.xyxy[:, 3] - d.xyxy[:, 1]
    assert (h > w).all()
    assert (d.xyxy >= 0).all() and (d.xyxy[:, 2] < img.shape[1]).all() and (d.xyxy[:, 3] < img.shape[0]).all()


def test_person_only_detector(shared_data) -> None:
    det = create_detector(str(shared_data / "detectors" / "person_detector_192.onnx"))
    d = det(cv2.imread(str(shared_data / "media" / "zidane.jpg")))
    assert len(d) >= 2


def test_not_a_detector(tmp_path) -> None:
    bad = tmp_path / "fake.onnx"
    bad.write_bytes(b"hello")
    with pytest.raises(DetectorError, match="fake.onnx"):
        create_detector(str(bad))
    txt = tmp_path / "notes.txt"
    txt.write_text("x")
    with pytest.raises(DetectorError, match="is not a detector"):
        create_detector(str(txt))


def test_missing_detector_file(tmp_path) -> None:
    with pytest.raises(DetectorError, match="not found"):
        create_detector(str(tmp_path / "missing.onnx"))


def test_pose_model_is_not_a_detector(tmp_path) -> None:
    """An ONNX file of the wrong kind (here a pose network) is refused with a clear line."""
    from poseapp.runtime import export_onnx, load_model

    path = export_onnx(load_model("litehrnet18", allow_untrained=True), tmp_path / "pose.onnx")
    with pytest.raises(DetectorError, match="does not look like a YOLOX detector"):
        create_detector(str(path))


def test_default_detector_offline_says_what_to_do(monkeypatch, tmp_path) -> None:
    """Offline, ultralytics cannot fetch yolo11n.pt: the error names --detector."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POSEAPP_DETECTOR", raising=False)

    def offline(*a, **k):
        raise ConnectionError("Download failure for https://github.com/ultralytics/assets/releases/yolo11n.pt")

    import ultralytics

    monkeypatch.setattr(ultralytics, "YOLO", offline)
    with pytest.raises(DetectorError, match=r"offline.*--detector PATH"):
        create_detector(None)


def test_env_sets_the_default(monkeypatch, yolox_path) -> None:
    monkeypatch.setenv("POSEAPP_DETECTOR", str(yolox_path))
    assert isinstance(create_detector(None), YoloxOnnxDetector)
    assert UltralyticsDetector  # the ultralytics path is exercised in test_default_detector_offline_says_what_to_do
