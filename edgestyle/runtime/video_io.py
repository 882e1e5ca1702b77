"""Read and write video files and image folders as BGR uint8 frames (the OpenCV convention).

Every reader fails with one line naming the file when it cannot be decoded or holds no frames,
and the writer goes through a temporary file beside the target, so a crash or Ctrl-C never
leaves a half-written video that looks valid.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import numpy as np

from edgestyle.atomic import atomic_path
from edgestyle.errors import EdgestyleError

# What every reader of footage (runtime, training, calibration) takes as an image or a video file.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")
# FFmpeg prints its own complaints ("moov atom not found") to stderr; our one-line errors say it better.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

FOURCC_BY_SUFFIX = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "mp4v"}


def image_files(folder: str | os.PathLike) -> list[Path]:
    """The image files of a folder in name order (frame_0001.png, frame_0002.png, ...)."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def read_image(path: str | os.PathLike) -> np.ndarray:
    """One image file as BGR uint8, or one clear error."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise EdgestyleError(f"cannot read image: {path}")
    return image


def _open_capture(path: Path):  # -> cv2.VideoCapture
    import cv2

    if not path.exists():
        raise EdgestyleError(f"video not found: {path}")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise EdgestyleError(f"cannot open video (unreadable or unsupported format): {path}")
    return cap


def read_frames(path_or_dir: str | os.PathLike) -> Iterator[np.ndarray]:
    """Yield every frame of a video file or image folder as BGR uint8 HxWx3.

    Raises :class:`EdgestyleError` before yielding anything if the input is missing, unreadable or
    empty, so callers can open their outputs only once the first frame exists.
    """
    path = Path(path_or_dir)
    if path.is_dir():
        files = image_files(path)
        if not files:
            raise EdgestyleError(f"no images in folder: {path}")
        return (read_image(f) for f in files)
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


def probe_video(path: str | os.PathLike, default_fps: float = 30.0) -> tuple[float, int, tuple[int, int]]:
    """(fps, frame_count, (width, height)) of a video file or image folder.

    Image folders report ``default_fps``; containers that lie about their frame count (some
    streams report 0 or -1) are counted by decoding.
    """
    import cv2

    path = Path(path)
    if path.is_dir():
        files = image_files(path)
        if not files:
            raise EdgestyleError(f"no images in folder: {path}")
        h, w = read_image(files[0]).shape[:2]
        return default_fps, len(files), (w, h)
    cap = _open_capture(path)
    try:
        fps = cap.get(cv2.CAP_PROP_FPS)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        cap.release()
    if count <= 0:
        count = sum(1 for _ in read_frames(path))
    if count == 0 or w <= 0 or h <= 0:
        raise EdgestyleError(f"video has no readable frames: {path}")
    if not fps or fps != fps or fps <= 0 or fps > 1000:
        fps = default_fps
    return float(fps), count, (w, h)


class VideoFileWriter:
    """Write BGR frames to a video file atomically: a temp file beside it, renamed on a clean close.

    Use as a context manager; leaving the block by an exception deletes the temp file, while
    :meth:`close` (or a normal exit) finalizes the container and renames it into place. A signal
    handler may call :meth:`close` to keep a recording playable when the process is stopped.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        fps: float,
        size: tuple[int, int],
        fourcc: str | None = None,
        keep_on_interrupt: bool = True,
    ):
        import cv2

        self.path = Path(path)
        self.keep_on_interrupt = keep_on_interrupt  # a recording keeps its frames; an offline job does not
        self.size = (int(size[0]), int(size[1]))
        self.fps = float(fps) if fps and fps > 0 else 30.0
        self.frames_written = 0
        suffix = self.path.suffix.lower()
        if suffix not in FOURCC_BY_SUFFIX:
            raise EdgestyleError(
                f"unsupported video extension {self.path.suffix!r} for {self.path} "
                f"(use one of {', '.join(sorted(FOURCC_BY_SUFFIX))})"
            )
        self._atomic = atomic_path(self.path)
        self._tmp = self._atomic.__enter__()
        code = cv2.VideoWriter_fourcc(*(fourcc or FOURCC_BY_SUFFIX[suffix]))
        self._writer = cv2.VideoWriter(str(self._tmp), code, self.fps, self.size)
        if not self._writer.isOpened():
            self._discard()
            raise EdgestyleError(f"cannot open a video writer for {self.path} (codec {fourcc or 'default'})")
        self._closed = False

    def write(self, frame_bgr: np.ndarray) -> None:
        """Append one frame; it is resized when it does not match the writer's size."""
        import cv2

        if self._closed:
            raise EdgestyleError(f"video {self.path} is already closed")
        if frame_bgr.shape[1::-1] != self.size:
            frame_bgr = cv2.resize(frame_bgr, self.size, interpolation=cv2.INTER_AREA)
        self._writer.write(np.ascontiguousarray(frame_bgr))
        self.frames_written += 1

    def close(self) -> None:
        """Finalize the container and rename it onto the target (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._writer.release()
        if self.frames_written == 0:
            self._discard()  # an empty container is not a valid video: leave nothing behind
            return
        self._atomic.__exit__(None, None, None)

    def abort(self) -> None:
        """Drop the recording: release the writer and delete the temp file."""
        if self._closed:
            return
        self._closed = True
        self._writer.release()
        self._discard()

    def _discard(self) -> None:
        error = EdgestyleError("recording discarded")
        self._atomic.__exit__(EdgestyleError, error, None)

    def __enter__(self) -> VideoFileWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None or (issubclass(exc_type, KeyboardInterrupt) and self.keep_on_interrupt):
            self.close()  # Ctrl-C keeps what was recorded so far, as a playable file
        else:
            self.abort()
