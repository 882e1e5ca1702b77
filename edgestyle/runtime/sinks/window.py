"""``window``: a fullscreen OpenCV window (needs a desktop session and a GUI-enabled OpenCV)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.sinks.base import FrameSink, SinkOptions
from edgestyle.runtime.uris import Uri

if TYPE_CHECKING:
    import numpy as np


class WindowSink(FrameSink):
    """A fullscreen OpenCV window; q or Esc quits, other keys go to the ``on_key`` handler."""

    schemes = ("window",)
    example = "window"
    name = "window"
    watched = True

    def __init__(self, title: str = "edgestyle", fullscreen: bool = True):
        import cv2

        self.title = title
        self._key_handler: Callable[[str], None] | None = None
        try:
            cv2.namedWindow(title, cv2.WINDOW_NORMAL)
            if fullscreen:
                cv2.setWindowProperty(title, cv2.WND_PROP_FULLSCREEN, cv2.WINDOW_FULLSCREEN)
        except cv2.error:
            raise EdgestyleError(
                "this OpenCV has no GUI (opencv-python-headless); use -o fb:///dev/fb0, or install opencv-python"
            ) from None

    @classmethod
    def from_uri(cls, uri: Uri, options: SinkOptions) -> WindowSink:
        return cls()

    def write(self, frame_bgr: np.ndarray) -> bool:
        import cv2

        cv2.imshow(self.title, frame_bgr)
        key = cv2.waitKey(1) & 0xFF  # -1 (no key) reads as 255
        if key not in (255, ord("q"), 27) and self._key_handler is not None:
            self._key_handler(chr(key))
        return key not in (ord("q"), 27) and cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) >= 1

    def on_key(self, handler: Callable[[str], None]) -> None:
        self._key_handler = handler

    def close(self) -> None:
        import cv2

        try:
            cv2.destroyWindow(self.title)
        except cv2.error:
            pass
