"""The OpenCV capture behind V4L2, CSI and network sources: reopens with backoff when frames stop."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.sources.base import FrameSource

if TYPE_CHECKING:
    import numpy as np


def cv2_module():
    """OpenCV, imported when a capture is first opened (not when the registry loads)."""
    import cv2

    return cv2


def opened(cap: Any) -> Any:
    """``cap`` if it opened, else None (and the failed capture released)."""
    if cap is not None and cap.isOpened():
        return cap
    if cap is not None:
        cap.release()
    return None


class CaptureSource(FrameSource):
    """A live cv2.VideoCapture that reopens with exponential backoff when frames stop coming.

    ``open_capture`` returns an opened capture or None; the first open must succeed (an absent
    camera is the user's error), later ones are retried until :meth:`close`. Subclasses only
    say how to open their capture (see ``v4l2.py``, ``csi.py``, ``stream.py``).
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
        fps = self._cap.get(cv2_module().CAP_PROP_FPS)
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
