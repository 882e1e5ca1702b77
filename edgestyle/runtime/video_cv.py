"""Video files through OpenCV's FFmpeg backend: the fallback where PyAV is not installed (some boards).

OpenCV writes MPEG-4 Part 2 (``mp4v``) in MP4, which desktop players (VLC, mpv) play but web
browsers and most phones do not, and it cannot carry audio; the PyAV backend does both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError

# FFmpeg prints its own complaints ("moov atom not found") to stderr; our one-line errors say it better.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

FOURCC_BY_SUFFIX = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "mp4v"}


def _open_capture(path: Path):  # -> cv2.VideoCapture
    import cv2

    if not path.exists():
        raise EdgestyleError(f"video not found: {path}")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise EdgestyleError(f"cannot open video (unreadable or unsupported format): {path}")
    return cap


def read_frames(path: Path) -> Iterator[np.ndarray]:
    """Every frame as BGR; fails before yielding if the file has no readable frame."""
    cap = _open_capture(path)
    ok, first = cap.read()
    if not ok or first is None:
        cap.release()
        raise EdgestyleError(f"video has no readable frames: {path}")
    return _rest_of_capture(cap, first)


def _rest_of_capture(cap, first: np.ndarray) -> Iterator[np.ndarray]:
    try:
        yield _as_bgr(first)
        while True:
            ok, frame = cap.read()
            if not ok or frame is None:
                return
            yield _as_bgr(frame)
    finally:
        cap.release()


def _as_bgr(frame: np.ndarray) -> np.ndarray:
    """Grey or BGRA decodes -> 3-channel BGR so every consumer sees one layout."""
    import cv2

    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    return frame


def probe(path: Path) -> tuple[float | None, int, tuple[int, int]]:
    """(fps or None, frame count or 0 if unknown, (width, height))."""
    import cv2

    cap = _open_capture(path)
    try:
        fps = cap.get(cv2.CAP_PROP_FPS)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        cap.release()
    if w <= 0 or h <= 0:
        raise EdgestyleError(f"video has no readable frames: {path}")
    return fps or None, max(count, 0), (w, h)


class CvEncoder:
    """cv2.VideoWriter behind the same interface as the PyAV encoder (no audio, no fragments)."""

    audio = "none"
    fragmented = False

    def __init__(self, path: Path, suffix: str, fps: float, size: tuple[int, int], fourcc: str | None = None):
        import cv2

        code = cv2.VideoWriter_fourcc(*(fourcc or FOURCC_BY_SUFFIX[suffix]))
        self._writer = cv2.VideoWriter(str(path), code, fps, size)
        if not self._writer.isOpened():
            raise EdgestyleError(f"cannot open a video writer for {path} (codec {fourcc or 'default'})")

    def write(self, frame_bgr: np.ndarray) -> None:
        self._writer.write(np.ascontiguousarray(frame_bgr))

    def close(self) -> None:
        self._writer.release()

    abort = close
