"""Frame sources addressed by URI, in the spirit of jetson-utils' videoSource.

=========================  ==================================================================
``picam:0``                Raspberry Pi camera through picamera2 (RGB888 video configuration)
``/dev/video0``            USB/V4L2 camera through OpenCV's V4L2 backend (MJPG when offered);
``v4l2:///dev/video0``     reconnects with backoff when the camera is unplugged
``csi://0``                Jetson CSI camera: GStreamer ``nvarguscamerasrc`` through OpenCV
``rtsp://host/stream``     network stream (FFmpeg); reconnects like a camera
``clip.mp4``/``file://``   a video file (``loop`` replays it, counting a restart)
``frames/``                a folder of images, in name order
``test://``                a generated panning scene (``test://?size=320x240&fps=30``)
=========================  ==================================================================

Every source yields BGR uint8 frames from :meth:`read` (None at the end of a finite source) and
counts ``restarts`` so the pipeline can reset the recurrent state when the picture jumps.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.video_io import read_frames
from edgestyle.sizes import parse_size

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

URI_HELP = (
    "picam:0, /dev/video0, v4l2:///dev/video0, csi://0, rtsp://..., a video file, an image folder or test://"
)
PICAMERA2_HINT = (
    "picamera2 is not importable: on Raspberry Pi OS run 'sudo apt install python3-picamera2' and create "
    "the venv with --system-site-packages (devices/raspberry-pi-5/install.sh does both)"
)


class FrameSource:
    """Base class: ``read()`` -> BGR frame or None at the end; ``close()`` is idempotent."""

    live = False  # a live source drops stale frames; a finite one is read losslessly
    fps: float = 30.0
    name = "source"

    def __init__(self) -> None:
        self.restarts = 0
        self.closed = threading.Event()  # set = stop requested: waits inside read() return early
        self._released = False

    def read(self) -> np.ndarray | None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop and release the device (idempotent; call it from the thread that reads)."""
        self.closed.set()
        if not self._released:
            self._released = True
            self._release()

    def _release(self) -> None:
        pass

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- generated ---------------------------------------------------------------------------
class PatternSource(FrameSource):
    """A panning scene that plays forward then backward forever (no jump, so no scene cut).

    Paced at ``fps`` like a camera (``fps=0``: as fast as it is read).
    """

    live = True
    name = "test"

    def __init__(self, size: tuple[int, int] = (320, 240), fps: float = 30.0, frames: int = 60):
        super().__init__()
        from edgestyle.synthetic import moving_scene

        self.fps = fps or 30.0
        self._pace = 1.0 / fps if fps else 0.0
        clip = moving_scene(frames, size[0], size[1])
        self._frames = clip + clip[-2:0:-1]
        self._i = 0
        self._next = time.monotonic()

    def read(self) -> np.ndarray | None:
        if self.closed.is_set():
            return None
        if self._pace:
            self._next = max(self._next + self._pace, time.monotonic() - self._pace)
            self.closed.wait(max(0.0, self._next - time.monotonic()))
        frame = self._frames[self._i % len(self._frames)]
        self._i += 1
        return frame.copy()


# -- files and folders -------------------------------------------------------------------
class VideoFileSource(FrameSource):
    """A video file or image folder, read losslessly; ``loop`` replays it and counts a restart."""

    def __init__(self, path: Path, loop: bool = False):
        super().__init__()
        from edgestyle.runtime.video_io import probe_video

        self.path = path
        self.name = str(path)
        self.loop = loop
        self.fps, self.frame_count, self.size = probe_video(path)
        self._frames = read_frames(path)

    def read(self) -> np.ndarray | None:
        while not self.closed.is_set():
            frame = next(self._frames, None)
            if frame is not None:
                return frame
            if not self.loop:
                return None
            self._frames = read_frames(self.path)
            self.restarts += 1
        return None


# -- OpenCV captures (V4L2, GStreamer, RTSP) ---------------------------------------------
class CaptureSource(FrameSource):
    """A live cv2.VideoCapture that reopens with exponential backoff when frames stop coming.

    ``open_capture`` returns an opened capture or None; the first open must succeed (an absent
    camera is the user's error), later ones are retried until :meth:`close`.
    """

    live = True

    def __init__(
        self,
        name: str,
        open_capture: Callable[[], Any],
        absent_message: str,
        backoff: tuple[float, float] = (0.5, 8.0),
        log: Callable[[str], None] | None = None,
    ):
        super().__init__()
        self.name = name
        self._open = open_capture
        self._backoff = backoff
        self._log = log or (lambda message: None)
        self.reconnects = 0
        self._cap = open_capture()
        if self._cap is None:
            raise EdgestyleError(absent_message)
        fps = self._cap.get(_cv2().CAP_PROP_FPS)
        self.fps = float(fps) if fps and 0 < fps < 1000 else 30.0

    def read(self) -> np.ndarray | None:
        delay = self._backoff[0]
        while not self.closed.is_set():
            if self._cap is not None:
                ok, frame = self._cap.read()
                if ok and frame is not None:
                    return frame
                self._cap.release()
                self._cap = None
                self._log(f"{self.name}: no frames; reconnecting")
            if self.closed.wait(delay):
                break
            self._cap = self._open()
            if self._cap is not None:
                self.reconnects += 1
                self.restarts += 1
                self._log(f"{self.name}: reconnected")
                delay = self._backoff[0]
            else:
                delay = min(delay * 2, self._backoff[1])
        return None

    def _release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def _cv2():
    import cv2

    return cv2


def _opened(cap: Any) -> Any:
    if cap is not None and cap.isOpened():
        return cap
    if cap is not None:
        cap.release()
    return None


def open_v4l2(device: str, size: tuple[int, int] | None, capture_factory: Callable[..., Any] | None = None):
    """A V4L2 capture asking for MJPG at ``size`` (USB cameras only reach 30 fps at 720p in MJPG)."""
    cv2 = _cv2()
    factory = capture_factory or cv2.VideoCapture
    if capture_factory is None and not Path(device).exists():
        return None
    cap = _opened(factory(device, cv2.CAP_V4L2))
    if cap is None:
        return None
    cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))  # ignored when the camera lacks MJPG
    if size:
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
    cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not one from 4 buffers ago
    return cap


def gstreamer_csi_pipeline(sensor_id: int, size: tuple[int, int], fps: int = 30) -> str:
    """The nvarguscamerasrc pipeline jetson-utils and NVIDIA's samples use, ending in BGR for OpenCV."""
    w, h = size
    return (
        f"nvarguscamerasrc sensor-id={sensor_id} ! "
        f"video/x-raw(memory:NVMM), width={w}, height={h}, framerate={fps}/1, format=NV12 ! "
        f"nvvidconv ! video/x-raw, width={w}, height={h}, format=BGRx ! "
        "videoconvert ! video/x-raw, format=BGR ! appsink drop=true max-buffers=1 sync=false"
    )


def opencv_has_gstreamer() -> bool:
    info = _cv2().getBuildInformation()
    return any(line.strip().startswith("GStreamer:") and "YES" in line for line in info.splitlines())


# -- picamera2 ---------------------------------------------------------------------------
class PicameraSource(FrameSource):
    """A Raspberry Pi camera via picamera2, configured for video at the size the model runs at.

    picamera2's ``RGB888`` format is laid out [B, G, R] per pixel, OpenCV's order, so frames need
    no conversion (picamera2 manual, "Image formats").
    """

    live = True
    timeout = 5.0  # seconds without a frame before the camera counts as stalled

    def __init__(self, camera_num: int = 0, size: tuple[int, int] = (640, 480), fps: float = 30.0):
        super().__init__()
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise EdgestyleError(PICAMERA2_HINT) from None
        self.name = f"picam:{camera_num}"
        self.fps = fps
        cameras = Picamera2.global_camera_info()
        if camera_num >= len(cameras):
            raise EdgestyleError(
                f"no Raspberry Pi camera {camera_num}: {len(cameras)} found (check the ribbon cable; "
                "'rpicam-hello --list-cameras' lists them)"
            )
        try:
            self._camera = Picamera2(camera_num)
        except RuntimeError as exc:
            raise EdgestyleError(f"cannot open Raspberry Pi camera {camera_num}: {exc}") from None
        even = (size[0] - size[0] % 2, size[1] - size[1] % 2)  # picamera2 rejects odd sizes
        frame_us = int(1_000_000 / fps)
        config = self._camera.create_video_configuration(
            main={"size": even, "format": "RGB888"},
            controls={"FrameDurationLimits": (frame_us, frame_us)},
            buffer_count=4,
        )
        self._camera.configure(config)
        self._camera.start()
        self.size = even

    def read(self) -> np.ndarray | None:
        if self.closed.is_set():
            return None
        try:  # wait= makes picamera2's job future time out (TimeoutError) instead of blocking forever
            frame = self._camera.capture_array("main", wait=self.timeout)
        except TimeoutError:
            raise EdgestyleError(
                f"{self.name} delivered no frame for {self.timeout:g} s (camera stalled?)"
            ) from None
        return frame[:, :, :3] if frame.ndim == 3 and frame.shape[2] == 4 else frame

    def _release(self) -> None:
        self._camera.stop()
        self._camera.close()


# -- the URI dispatcher ------------------------------------------------------------------
def _size_param(query: dict[str, list[str]], default: tuple[int, int]) -> tuple[int, int]:
    if "size" not in query:
        return default
    return parse_size(query["size"][0])


def open_source(
    uri: str,
    size: tuple[int, int] | None = None,
    fps: float = 30.0,
    loop: bool = False,
    log: Callable[[str], None] | None = None,
) -> FrameSource:
    """Open ``uri`` (see the module table). ``size`` is the capture size asked of cameras."""
    parsed = urlparse(uri)
    query = parse_qs(parsed.query)
    scheme = parsed.scheme.lower()
    if scheme == "test":
        return PatternSource(
            _size_param(query, size or (320, 240)),
            float(query.get("fps", [fps])[0]),
            int(query.get("frames", [60])[0]),
        )
    if scheme == "picam" or uri.startswith("picam:"):
        number = (parsed.path or parsed.netloc or "0").strip("/") or "0"
        if not number.isdigit():
            raise EdgestyleError(f"bad camera number in {uri!r}: expected picam:0")
        return PicameraSource(int(number), _size_param(query, size or (640, 480)), fps)
    if scheme == "v4l2" or uri.startswith(("/dev/video", "/dev/v4l/")):  # by-id names survive re-plugging
        device = parsed.path if scheme == "v4l2" else uri
        wanted = _size_param(query, size or (640, 480))
        return CaptureSource(
            device,
            lambda: open_v4l2(device, wanted),
            f"camera {device} not found or busy (is it plugged in? 'edgestyle doctor' lists cameras)",
            log=log,
        )
    if scheme == "csi":
        if not opencv_has_gstreamer():
            raise EdgestyleError(
                "csi:// needs OpenCV with GStreamer: on Jetson use the system OpenCV (python3-opencv) in a "
                "venv made with --system-site-packages, not pip's opencv-python"
            )
        sensor = int((parsed.netloc or parsed.path or "0").strip("/") or 0)
        pipeline = gstreamer_csi_pipeline(sensor, _size_param(query, size or (1280, 720)), int(fps))
        return CaptureSource(
            f"csi://{sensor}",
            lambda: _opened(_cv2().VideoCapture(pipeline, _cv2().CAP_GSTREAMER)),
            f"CSI camera {sensor} did not start (check the ribbon cable and that nvargus-daemon runs)",
            log=log,
        )
    if scheme in ("rtsp", "rtsps", "rtmp", "http", "https", "udp"):
        return CaptureSource(
            uri,
            lambda: _opened(_cv2().VideoCapture(uri, _cv2().CAP_FFMPEG)),
            f"cannot open stream {uri}",
            log=log,
        )
    path = Path(parsed.path if scheme == "file" else uri).expanduser()
    if scheme in ("", "file"):
        if path.is_dir() or path.is_file():
            return VideoFileSource(path, loop=loop)
        if path.suffix:
            raise EdgestyleError(f"video not found: {path}")
    raise EdgestyleError(f"unknown source {uri!r}: use {URI_HELP}")
