"""A test double of the real ``picamera2`` package (Raspberry Pi's libcamera binding).

Only the surface edgestyle uses, with the real signatures and the real rules, checked against
raspberrypi/picamera2 ``picamera2/picamera2.py`` and the Picamera2 manual:

* ``Picamera2(camera_num=0, verbose_console=None, tuning=None)`` raises ``RuntimeError("Camera
  __init__ sequence did not complete.")`` when the camera does not exist;
* ``Picamera2.global_camera_info()`` (static) lists one dict per camera (``Model``, ``Id``, ...);
* ``create_video_configuration(main={}, lores=None, raw={}, transform=..., colour_space=None,
  buffer_count=6, controls={}, display="main", encode="main", queue=True)`` (``{}`` defaults as None
  here) returns a dict whose
  ``main`` defaults to ``{"format": "XBGR8888", "size": (1280, 720)}``;
* ``configure(camera_config)`` validates like ``check_stream_config`` (size a 2-tuple of even
  numbers, known format) and refuses while started;
* ``start(config=None, show_preview=False)``, ``capture_array(name="main", wait=None,
  signal_function=None)``, ``stop()``, ``close()``, context manager;
* pixel layout (manual, "Image formats"): ``RGB888`` is [B, G, R] per pixel, ``BGR888`` is
  [R, G, B], ``XBGR8888`` is [R, G, B, 255], ``XRGB8888`` is [B, G, R, 255].

The "scene" in front of the fake camera is ``SCENE_RGB`` (a solid colour, true RGB) so tests can
check that colours arrive in the right order. ``CAMERAS`` lists the attached cameras; ``STALLED``
makes ``capture_array(wait=...)`` time out the way the real job future does (``TimeoutError``).
"""

from __future__ import annotations

import numpy as np

CAMERAS: list[dict] = [
    {"Model": "imx708", "Location": 2, "Rotation": 0, "Id": "/base/axi/pcie@120000/rp1/i2c@88000/imx708@1a"}
]
SCENE_RGB = (10, 20, 200)  # mostly blue
STALLED = False
INSTANCES: list[Picamera2] = []
_FORMATS = {
    "RGB888": (2, 1, 0),
    "BGR888": (0, 1, 2),
    "XBGR8888": (0, 1, 2, None),
    "XRGB8888": (2, 1, 0, None),
}


class Picamera2:
    def __init__(self, camera_num=0, verbose_console=None, tuning=None):
        if not isinstance(camera_num, int) or camera_num >= len(CAMERAS):
            raise RuntimeError("Camera __init__ sequence did not complete.")
        self.camera_idx = camera_num
        self.camera_config = None
        self.started = False
        self.is_open = True
        self.frames = 0
        self.calls: list[str] = []
        INSTANCES.append(self)

    @staticmethod
    def global_camera_info() -> list:
        return [dict(c) for c in CAMERAS]

    def create_video_configuration(
        self,
        main=None,
        lores=None,
        raw=None,
        transform=None,
        colour_space=None,
        buffer_count=6,
        controls=None,
        display="main",
        encode="main",
        queue=True,
    ) -> dict:
        if not self.is_open:
            raise RuntimeError("Camera not opened")
        stream = {"format": "XBGR8888", "size": (1280, 720)} | dict(main or {})
        stream["size"] = (
            stream["size"][0] - stream["size"][0] % 2,
            stream["size"][1] - stream["size"][1] % 2,
        )
        self.calls.append("create_video_configuration")
        return {
            "use_case": "video",
            "transform": transform,
            "colour_space": colour_space,
            "buffer_count": buffer_count,
            "queue": queue,
            "main": stream,
            "lores": lores,
            "raw": raw,
            "controls": {"NoiseReductionMode": 1, "FrameDurationLimits": (33333, 33333)}
            | dict(controls or {}),
            "display": display,
            "encode": encode,
        }

    def configure(self, camera_config=None) -> None:
        if self.started:
            raise RuntimeError("Camera must be stopped before configuring")
        main = camera_config["main"]
        if main["format"] not in _FORMATS:
            raise RuntimeError("Bad format " + main["format"] + " in stream main")
        size = main["size"]
        if type(size) is not tuple or len(size) != 2:
            raise RuntimeError("size in main stream should be (width, height)")
        if size[0] % 2 or size[1] % 2:
            raise RuntimeError("width and height should be even")
        self.camera_config = camera_config
        self.calls.append("configure")

    def start(self, config=None, show_preview=False) -> None:
        if config is not None:
            self.configure(config)
        if self.camera_config is None:
            raise RuntimeError("Camera has not been configured")
        self.started = True
        self.calls.append("start")

    def capture_array(self, name="main", wait=None, signal_function=None) -> np.ndarray:
        if not self.started or STALLED:
            if wait is None:
                raise AssertionError("the real capture_array would block forever here")
            raise TimeoutError()
        stream = self.camera_config[name]
        w, h = stream["size"]
        order = _FORMATS[stream["format"]]
        pixel = [255 if i is None else SCENE_RGB[i] for i in order]
        frame = np.empty((h, w, len(pixel)), np.uint8)
        frame[:] = pixel
        frame[0, 0, :3] = self.frames % 256  # a frame counter in the corner
        self.frames += 1
        return frame

    def stop(self) -> None:
        self.started = False
        self.calls.append("stop")

    def close(self) -> None:
        if self.started:
            self.stop()
        self.is_open = False
        self.calls.append("close")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_traceback):
        self.close()
