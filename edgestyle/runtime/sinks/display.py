"""``hdmi`` / ``display://0``: a fullscreen window on a desktop, else the console framebuffer ``/dev/fb0``."""

from __future__ import annotations

from pathlib import Path

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.probes import display_server, opencv_has_gui
from edgestyle.runtime.sinks.base import FrameSink, SinkOptions
from edgestyle.runtime.sinks.framebuffer import FramebufferSink
from edgestyle.runtime.sinks.window import WindowSink
from edgestyle.runtime.uris import Uri

NO_DISPLAY = (
    "no display found: no X11/Wayland session with a GUI-enabled OpenCV and no /dev/fb0 "
    "(record with -o out.mp4 instead)"
)


class Display:
    """Not a sink itself: picks the window or the framebuffer for whatever screen this board has."""

    schemes = ("hdmi", "display", "screen")
    prefixes: tuple[str, ...] = ()
    example = "hdmi, display://0"
    framebuffer = Path("/dev/fb0")

    @classmethod
    def from_uri(cls, uri: Uri, options: SinkOptions) -> FrameSink:
        if display_server() and opencv_has_gui():
            return WindowSink()
        if cls.framebuffer.exists():
            options.log(f"no desktop session: drawing straight to the console framebuffer {cls.framebuffer}")
            return FramebufferSink(cls.framebuffer)
        raise EdgestyleError(NO_DISPLAY)
