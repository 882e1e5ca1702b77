"""Frame sources addressed by URI, in the spirit of jetson-utils' videoSource.

=========================  ==================================================================
``picam:0``                Raspberry Pi camera through picamera2 (``picam.py``)
``/dev/video0``            USB/V4L2 camera through OpenCV's V4L2 backend, MJPG when offered;
``v4l2:///dev/video0``     reconnects with backoff when the camera is unplugged (``v4l2.py``)
``csi://0``                Jetson CSI camera: GStreamer ``nvarguscamerasrc`` (``csi.py``)
``rtsp://host/stream``     network stream (FFmpeg); reconnects like a camera (``stream.py``)
``clip.mp4``/``file://``   a video file or image folder; ``loop`` replays it (``files.py``)
``test://``                a generated panning scene, ``test://?size=320x240&fps=30`` (``pattern.py``)
=========================  ==================================================================

Every source yields BGR uint8 frames from ``read()`` (None at the end of a finite source) and
counts ``restarts`` so the pipeline can reset the recurrent state when the picture jumps.
A new source is one module with a :class:`FrameSource` subclass plus one line below (or a call
to :func:`register_source` from your own code); see docs/runtime.md, "Adding a source or sink".
"""

from __future__ import annotations

import os
from collections.abc import Callable

from edgestyle.runtime.sources.base import FrameSource, SourceOptions
from edgestyle.runtime.sources.capture import CaptureSource
from edgestyle.runtime.sources.csi import CsiSource, gstreamer_csi_pipeline
from edgestyle.runtime.sources.files import VideoFileSource
from edgestyle.runtime.sources.pattern import PatternSource
from edgestyle.runtime.sources.picam import PICAMERA2_HINT, PicameraSource
from edgestyle.runtime.sources.stream import StreamSource
from edgestyle.runtime.sources.v4l2 import V4L2Source, open_v4l2
from edgestyle.runtime.uris import UriRegistry

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # our one-line errors instead of FFmpeg's noise

SOURCES: UriRegistry[type[FrameSource]] = UriRegistry("source", fallback_scheme="file")
# The registry: one line per source, in the order help texts list them.
SOURCES.register(PicameraSource)
SOURCES.register(V4L2Source)
SOURCES.register(CsiSource)
SOURCES.register(StreamSource)
SOURCES.register(VideoFileSource)
SOURCES.register(PatternSource)


def register_source(source: type[FrameSource]) -> type[FrameSource]:
    """Make ``source``'s schemes openable by :func:`open_source` and ``edgestyle run`` (a decorator too)."""
    return SOURCES.register(source)


def source_help() -> str:
    """The URIs ``open_source`` takes, for errors and ``--help``."""
    return SOURCES.help()


def open_source(
    uri: str,
    size: tuple[int, int] | None = None,
    fps: float = 30.0,
    loop: bool = False,
    log: Callable[[str], None] | None = None,
) -> FrameSource:
    """Open ``uri`` (see the module table). ``size`` is the capture size asked of cameras."""
    options = SourceOptions(size=size, fps=fps, loop=loop)
    if log is not None:
        options.log = log
    return SOURCES.open(uri, options)


__all__ = [
    "PICAMERA2_HINT",
    "SOURCES",
    "CaptureSource",
    "CsiSource",
    "FrameSource",
    "PatternSource",
    "PicameraSource",
    "SourceOptions",
    "StreamSource",
    "V4L2Source",
    "VideoFileSource",
    "gstreamer_csi_pipeline",
    "open_source",
    "open_v4l2",
    "register_source",
    "source_help",
]
