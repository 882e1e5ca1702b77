"""Frame sources: picamera2 through its test double, V4L2 reconnects through a cv2.VideoCapture double,
files, folders, test://, and one-line errors for unknown URIs and absent cameras."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.sources import (
    CaptureSource,
    PatternSource,
    PicameraSource,
    VideoFileSource,
    gstreamer_csi_pipeline,
    open_source,
    open_v4l2,
)

FAKES = Path(__file__).parent / "fakes"


@pytest.fixture
def fake_picamera2(monkeypatch):
    """The picamera2 test double importable as ``picamera2`` (fresh state per test)."""
    monkeypatch.syspath_prepend(str(FAKES))
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    import picamera2

    monkeypatch.setattr(picamera2, "INSTANCES", [])
    yield picamera2
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)


def test_picam_source_configures_rgb888_at_the_asked_size(fake_picamera2):
    source = open_source("picam:0", size=(63, 48), fps=25)
    assert isinstance(source, PicameraSource)
    camera = fake_picamera2.INSTANCES[0]
    config = camera.camera_config
    assert config["use_case"] == "video" and config["main"]["format"] == "RGB888"
    assert config["main"]["size"] == (62, 48)  # picamera2 wants even sizes
    assert config["controls"]["FrameDurationLimits"] == (40000, 40000)
    frames = [source.read() for _ in range(3)]
    assert frames[0].shape == (48, 62, 3)
    b, g, r = frames[1][5, 5]
    assert (r, g, b) == fake_picamera2.SCENE_RGB  # RGB888 is [B, G, R]: OpenCV's order, no swap
    assert [f[0, 0, 0] for f in frames] == [0, 1, 2]
    source.close()
    source.close()
    assert camera.calls[-2:] == ["stop", "close"] and camera.calls.count("close") == 1


def test_a_stalled_picam_is_an_error_not_a_hang(fake_picamera2, monkeypatch):
    source = open_source("picam:0", size=(32, 24))
    monkeypatch.setattr(fake_picamera2, "STALLED", True)
    with pytest.raises(EdgestyleError, match="picam:0 delivered no frame for 5 s"):
        source.read()
    source.close()


def test_picam_errors_are_one_line(fake_picamera2, monkeypatch):
    with pytest.raises(EdgestyleError, match="no Raspberry Pi camera 1: 1 found"):
        open_source("picam:1")
    monkeypatch.setattr(fake_picamera2, "CAMERAS", [])
    with pytest.raises(EdgestyleError, match="no Raspberry Pi camera 0: 0 found"):
        open_source("picam:0")


def test_picam_without_picamera2_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", None)  # import picamera2 -> ImportError
    with pytest.raises(EdgestyleError, match="apt install python3-picamera2"):
        open_source("picam:0")


class FakeVideoCapture:
    """Double of cv2.VideoCapture (isOpened, read, set, get, release) for a camera that gets unplugged.

    ``script`` is shared by every capture the source opens: "frame" yields a frame, "unplug" makes
    read() fail like a vanished V4L2 device, "absent" makes the next open fail.
    """

    def __init__(self, device, api, script: list[str], log: list):
        self.script, self.log, self.props = script, log, {}
        self.opened = not (script and script[0] == "absent")
        if not self.opened:
            script.pop(0)
        log.append(("open", device, api, self.opened))

    def isOpened(self):  # noqa: N802 - OpenCV's name
        return self.opened

    def set(self, prop, value):
        self.props[prop] = value
        return True

    def get(self, prop):
        return 30.0 if prop == cv2.CAP_PROP_FPS else self.props.get(prop, 0.0)

    def read(self):
        step = self.script.pop(0) if self.script else "unplug"
        if step == "frame":
            return True, np.full((24, 32, 3), len(self.log), np.uint8)
        self.opened = False
        return False, None

    def release(self):
        self.log.append("release")


def test_v4l2_asks_for_mjpg_and_the_size():
    log: list = []
    cap = open_v4l2("/dev/video0", (640, 480), lambda d, api: FakeVideoCapture(d, api, ["frame"], log))
    assert log[0] == ("open", "/dev/video0", cv2.CAP_V4L2, True)
    assert cap.props[cv2.CAP_PROP_FOURCC] == cv2.VideoWriter_fourcc(*"MJPG")
    assert (cap.props[cv2.CAP_PROP_FRAME_WIDTH], cap.props[cv2.CAP_PROP_FRAME_HEIGHT]) == (640, 480)


def test_unplugged_camera_reconnects_with_backoff_and_counts_a_restart():
    script = ["frame", "frame", "unplug", "absent", "absent", "frame", "frame"]
    log: list = []
    source = CaptureSource(
        "/dev/video0",
        lambda: open_v4l2("/dev/video0", None, lambda d, api: FakeVideoCapture(d, api, script, log)),
        "absent",
        backoff=(0.001, 0.004),
    )
    frames = [source.read() for _ in range(4)]
    assert all(f is not None for f in frames)
    assert source.reconnects == 1 and source.restarts == 1
    assert [entry[3] for entry in log if entry[0] == "open"] == [True, False, False, True]
    source.close()
    assert source.read() is None


def test_absent_camera_and_unknown_uri_are_one_line():
    with pytest.raises(EdgestyleError, match="camera /dev/video97 not found"):
        open_source("/dev/video97")
    with pytest.raises(EdgestyleError, match="camera /dev/video98 not found"):
        open_source("v4l2:///dev/video98")
    with pytest.raises(EdgestyleError, match="unknown source 'bogus://x'"):
        open_source("bogus://x")
    with pytest.raises(EdgestyleError, match="video not found"):
        open_source("missing.mp4")
    with pytest.raises(EdgestyleError, match="WIDTHxHEIGHT"):
        open_source("test://?size=big")


def test_csi_pipeline_is_the_nvargus_one():
    text = gstreamer_csi_pipeline(1, (1280, 720), 30)
    assert text.startswith("nvarguscamerasrc sensor-id=1 ! video/x-raw(memory:NVMM), width=1280, height=720")
    assert text.endswith("appsink drop=true max-buffers=1 sync=false")


def test_test_pattern_and_folder_sources(tmp_path):
    pattern = open_source("test://?size=40x30&fps=0&frames=4")
    assert isinstance(pattern, PatternSource) and pattern.live
    frames = [pattern.read() for _ in range(8)]
    assert frames[0].shape == (30, 40, 3)
    np.testing.assert_array_equal(frames[6], frames[0])  # forward 0..3, back 2,1, then 0 again
    for i, frame in enumerate(frames[:3]):
        cv2.imwrite(str(tmp_path / f"{i:02d}.png"), frame)
    folder = open_source(str(tmp_path), loop=True)
    assert isinstance(folder, VideoFileSource) and not folder.live
    read = [folder.read() for _ in range(5)]
    assert folder.restarts == 1 and all(f is not None for f in read)
    once = open_source(f"file://{tmp_path}")
    count = 0
    while once.read() is not None:
        count += 1
    assert count == 3


def test_run_on_a_pi5_profile_sizes_the_camera_for_the_model(fake_picamera2, tmp_path, tiny_stateful_tflite):
    """`edgestyle run --device raspberry-pi-5`: picam:0 from the profile, RGB888 at the model's 64x48."""
    from typer.testing import CliRunner

    from edgestyle.cli import app
    from edgestyle.runtime.video_io import probe_video

    out = tmp_path / "pi.mp4"
    args = [
        "run",
        "--device",
        "raspberry-pi-5",
        "-o",
        str(out),
        "-m",
        str(tiny_stateful_tflite),
        "--frames",
        "5",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    camera = fake_picamera2.INSTANCES[0]
    assert camera.camera_config["main"] == {"format": "RGB888", "size": (64, 48)}
    assert camera.calls[-1] == "close"
    assert probe_video(out)[1:] == (5, (64, 48))
