"""Where stylized frames go, addressed like jetson-utils' videoOutput.

=============================  ===============================================================
``hdmi`` / ``display://0``     a fullscreen window on a desktop, else ``/dev/fb0`` (``display.py``)
``fb:///dev/fb1``              a console framebuffer, letterboxed (``framebuffer.py``)
``window``                     a fullscreen OpenCV window; q or Esc quits (``window.py``)
``take.mp4``                   a video file (.mp4/.avi/.mkv/.mov), written atomically (``file.py``)
``null``                       counts and drops frames, for benchmarks (``null.py``)
``http://127.0.0.1:8080``      a live MJPEG preview for browsers, with JSON status (``http.py``)
=============================  ===============================================================

Every sink has ``write(frame) -> bool`` (False: the viewer asked to quit), ``close()`` and
``abort()``. A new sink is one module with a :class:`FrameSink` subclass plus one line below (or
a call to :func:`register_sink` from your own code); see docs/runtime.md, "Adding a source or sink".
"""

from __future__ import annotations

from collections.abc import Callable

from edgestyle.runtime.sinks.base import FrameSink, SinkOptions, TeeSink
from edgestyle.runtime.sinks.display import Display
from edgestyle.runtime.sinks.file import VideoFileSink
from edgestyle.runtime.sinks.framebuffer import (
    FBIOGET_VSCREENINFO,
    FramebufferGeometry,
    FramebufferSink,
    letterbox_rect,
    pack_pixels,
    read_channel_order,
)
from edgestyle.runtime.sinks.http import HttpPreviewSink
from edgestyle.runtime.sinks.null import NullSink
from edgestyle.runtime.sinks.window import WindowSink
from edgestyle.runtime.uris import UriRegistry

SINKS: UriRegistry = UriRegistry("sink", fallback_scheme="file")
# The registry: one line per sink, in the order help texts list them.
SINKS.register(Display)
SINKS.register(FramebufferSink)
SINKS.register(WindowSink)
SINKS.register(NullSink)
SINKS.register(HttpPreviewSink)
SINKS.register(VideoFileSink)


def register_sink(sink: type) -> type:
    """Make ``sink``'s schemes openable by :func:`open_sink` and ``edgestyle run -o`` (a decorator too)."""
    return SINKS.register(sink)


def sink_help() -> str:
    """The URIs ``open_sink`` takes, for errors and ``--help``."""
    return SINKS.help()


def open_sink(
    uri: str, fps: float = 30.0, log: Callable[[str], None] | None = None, preview_token: str | None = None
) -> FrameSink:
    """Open a sink by URI (see the module table)."""
    options = SinkOptions(fps=fps, preview_token=preview_token)
    if log is not None:
        options.log = log
    return SINKS.open(uri, options)


def open_sinks(
    uris: list[str],
    fps: float = 30.0,
    log: Callable[[str], None] | None = None,
    preview_token: str | None = None,
) -> FrameSink:
    """One sink, or a :class:`TeeSink` of several; already-opened ones are closed if a later one fails."""
    opened: list[FrameSink] = []
    try:
        for uri in uris:
            opened.append(open_sink(uri, fps, log, preview_token))
    except BaseException:
        for sink in opened:
            sink.abort()
        raise
    return opened[0] if len(opened) == 1 else TeeSink(opened)


__all__ = [
    "FBIOGET_VSCREENINFO",
    "SINKS",
    "Display",
    "FrameSink",
    "FramebufferGeometry",
    "FramebufferSink",
    "HttpPreviewSink",
    "NullSink",
    "SinkOptions",
    "TeeSink",
    "VideoFileSink",
    "WindowSink",
    "letterbox_rect",
    "open_sink",
    "open_sinks",
    "pack_pixels",
    "read_channel_order",
    "register_sink",
    "sink_help",
]
