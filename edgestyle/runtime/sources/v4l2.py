"""``/dev/video0``, ``v4l2:///dev/video0``, ``/dev/v4l/by-id/...``: a USB/V4L2 camera through OpenCV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from edgestyle.runtime.sources.base import SourceOptions
from edgestyle.runtime.sources.capture import CaptureSource, cv2_module, opened
from edgestyle.runtime.uris import Uri


def open_v4l2(device: str, size: tuple[int, int] | None, capture_factory: Callable[..., Any] | None = None):
    """A V4L2 capture asking for MJPG at ``size`` (USB cameras only reach 30 fps at 720p in MJPG)."""
    cv2 = cv2_module()
    factory = capture_factory or cv2.VideoCapture
    if capture_factory is None and not Path(device).exists():
        return None
    cap = opened(factory(device, cv2.CAP_V4L2))
    if cap is None:
        return None
    cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))  # ignored when the camera lacks MJPG
    if size:
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
    cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not one from 4 buffers ago
    return cap


class V4L2Source(CaptureSource):
    """A V4L2 camera; reconnects with backoff when it is unplugged (a by-id name survives re-plugging)."""

    schemes = ("v4l2",)
    prefixes = ("/dev/video", "/dev/v4l/")
    example = "/dev/video0, v4l2:///dev/video0"

    @classmethod
    def from_uri(cls, uri: Uri, options: SourceOptions) -> V4L2Source:
        device = uri.target
        wanted = uri.size_param(options.size or (640, 480))
        return cls(
            device,
            lambda: open_v4l2(device, wanted),
            f"camera {device} not found or busy (is it plugged in? 'edgestyle doctor' lists cameras)",
            log=options.log,
        )
