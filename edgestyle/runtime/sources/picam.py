"""``picam:0``: a Raspberry Pi camera through picamera2 (from apt, not pip)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.sources.base import FrameSource, SourceOptions
from edgestyle.runtime.uris import Uri

if TYPE_CHECKING:
    import numpy as np

PICAMERA2_HINT = (
    "picamera2 is not importable: on Raspberry Pi OS run 'sudo apt install python3-picamera2' and create "
    "the venv with --system-site-packages (devices/raspberry-pi-5/install.sh does both)"
)


class PicameraSource(FrameSource):
    """A Raspberry Pi camera via picamera2, configured for video at the size the model runs at.

    picamera2's ``RGB888`` format is laid out [B, G, R] per pixel, OpenCV's order, so frames need
    no conversion (picamera2 manual, "Image formats").
    """

    schemes = ("picam",)
    example = "picam:0"
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

    @classmethod
    def from_uri(cls, uri: Uri, options: SourceOptions) -> PicameraSource:
        number = uri.target.strip("/") or "0"
        if not number.isdigit():
            raise EdgestyleError(f"bad camera number in {uri.text!r}: expected picam:0")
        return cls(int(number), uri.size_param(options.size or (640, 480)), options.fps)

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
