"""``rtsp://host/stream`` (and rtmp, http, udp): a network stream through OpenCV's FFmpeg backend."""

from __future__ import annotations

from edgestyle.runtime.sources.base import SourceOptions
from edgestyle.runtime.sources.capture import CaptureSource, cv2_module, opened
from edgestyle.runtime.uris import Uri


class StreamSource(CaptureSource):
    """A network stream; reconnects like a camera when it drops."""

    schemes = ("rtsp", "rtsps", "rtmp", "http", "https", "udp")
    example = "rtsp://..."

    @classmethod
    def from_uri(cls, uri: Uri, options: SourceOptions) -> StreamSource:
        text = uri.text
        return cls(
            text,
            lambda: opened(cv2_module().VideoCapture(text, cv2_module().CAP_FFMPEG)),
            f"cannot open stream {text}",
            log=options.log,
        )
