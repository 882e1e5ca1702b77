"""``csi://0``: a Jetson CSI camera through GStreamer's ``nvarguscamerasrc`` and OpenCV."""

from __future__ import annotations

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.probes import opencv_has_gstreamer
from edgestyle.runtime.sources.base import SourceOptions
from edgestyle.runtime.sources.capture import CaptureSource, cv2_module, opened
from edgestyle.runtime.uris import Uri

NO_GSTREAMER = (
    "csi:// needs OpenCV with GStreamer: on Jetson use the system OpenCV (python3-opencv) in a "
    "venv made with --system-site-packages, not pip's opencv-python"
)


def gstreamer_csi_pipeline(sensor_id: int, size: tuple[int, int], fps: int = 30) -> str:
    """The nvarguscamerasrc pipeline jetson-utils and NVIDIA's samples use, ending in BGR for OpenCV."""
    w, h = size
    return (
        f"nvarguscamerasrc sensor-id={sensor_id} ! "
        f"video/x-raw(memory:NVMM), width={w}, height={h}, framerate={fps}/1, format=NV12 ! "
        f"nvvidconv ! video/x-raw, width={w}, height={h}, format=BGRx ! "
        "videoconvert ! video/x-raw, format=BGR ! appsink drop=true max-buffers=1 sync=false"
    )


class CsiSource(CaptureSource):
    """A CSI camera; needs the system OpenCV (pip's has no GStreamer), reconnects like a USB camera."""

    schemes = ("csi",)
    example = "csi://0"

    @classmethod
    def from_uri(cls, uri: Uri, options: SourceOptions) -> CsiSource:
        if not opencv_has_gstreamer():
            raise EdgestyleError(NO_GSTREAMER)
        sensor = int(uri.target.strip("/") or 0)
        pipeline = gstreamer_csi_pipeline(
            sensor, uri.size_param(options.size or (1280, 720)), int(options.fps)
        )
        return cls(
            f"csi://{sensor}",
            lambda: opened(cv2_module().VideoCapture(pipeline, cv2_module().CAP_GSTREAMER)),
            f"CSI camera {sensor} did not start (check the ribbon cable and that nvargus-daemon runs)",
            log=options.log,
        )
