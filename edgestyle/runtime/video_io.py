"""Read and write video files and image folders as BGR uint8 frames (the OpenCV convention).

Files go through PyAV (H.264 in MP4 with the input's audio; :mod:`edgestyle.runtime.video_av`)
where it is installed, else through OpenCV (:mod:`edgestyle.runtime.video_cv`); set
``EDGESTYLE_VIDEO_BACKEND=opencv`` (or ``pyav``) to choose. Every reader fails with one line
naming the file when it cannot be decoded or holds no frames, and the writer goes through a
temporary file beside the target, so a crash or Ctrl-C never leaves a half-written video that
looks valid.
"""

from __future__ import annotations

import errno
import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import numpy as np

from edgestyle.atomic import PARTIAL, RECORDING, atomic_path, recovered_name
from edgestyle.errors import EdgestyleError, describe_os_error
from edgestyle.preflight import MIB, free_bytes, no_space
from edgestyle.runtime import video_av, video_cv

# What every reader of footage (runtime, training, calibration) takes as an image or a video file.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")
FOURCC_BY_SUFFIX = video_cv.FOURCC_BY_SUFFIX  # the suffixes a video can be written to (both backends)
BACKENDS = ("pyav", "opencv")
# Room kept free while writing: this (an encoder's unflushed buffer, up to 256 KiB for OpenCV, and
# the container's header), plus one frame at its largest (raw YUV 4:2:0), plus 8 bytes of index
# per frame written.
SPACE_RESERVE_BYTES = 1 * MIB
INDEX_BYTES_PER_FRAME = 8
# The least a video takes per pixel and frame (measured 0.05-0.12 for mp4v on generated scenes;
# H.264 takes less, so this only refuses jobs that cannot fit): the free-space check before work.
MIN_VIDEO_BYTES_PER_PIXEL = 0.01


def video_bytes_estimate(frames: int, size: tuple[int, int]) -> int:
    """A low estimate of a video's size, for the free-space check before stylizing."""
    pixels = size[0] * size[1]
    return int(frames * pixels * MIN_VIDEO_BYTES_PER_PIXEL) + SPACE_RESERVE_BYTES + pixels * 2


def video_backend(requested: str | None = None) -> str:
    """``pyav`` or ``opencv``: the one asked for (argument, else $EDGESTYLE_VIDEO_BACKEND), else PyAV if present."""
    name = (requested or os.environ.get("EDGESTYLE_VIDEO_BACKEND") or "auto").strip().lower()
    if name == "auto":
        return "pyav" if video_av.available() else "opencv"
    if name not in BACKENDS:
        raise EdgestyleError(f"unknown video backend {name!r}: use {', '.join(BACKENDS)} or auto")
    if name == "pyav" and not video_av.available():
        raise EdgestyleError("the pyav video backend needs PyAV: pip install av")
    return name


def image_files(folder: str | os.PathLike) -> list[Path]:
    """The image files of a folder in name order (frame_0001.png, frame_0002.png, ...)."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def read_image(path: str | os.PathLike) -> np.ndarray:
    """One image file as BGR uint8, turned upright by its EXIF orientation, or one clear error
    (a truncated or corrupt file included: :mod:`edgestyle.runtime.decode`)."""
    from edgestyle.runtime.decode import read_picture

    return read_picture(path, "image")


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
    return (video_av if video_backend() == "pyav" else video_cv).read_frames(path)


def probe_video(path: str | os.PathLike, default_fps: float = 30.0) -> tuple[float, int, tuple[int, int]]:
    """(fps, frame_count, (width, height)) of a video file or image folder.

    Image folders report ``default_fps``; containers that lie about their frame count (some
    streams report 0 or -1) are counted by decoding.
    """
    path = Path(path)
    if path.is_dir():
        files = image_files(path)
        if not files:
            raise EdgestyleError(f"no images in folder: {path}")
        h, w = read_image(files[0]).shape[:2]
        return default_fps, len(files), (w, h)
    fps, count, size = (video_av if video_backend() == "pyav" else video_cv).probe(path)
    if count <= 0:
        count = sum(1 for _ in read_frames(path))
    if not fps or fps != fps or fps <= 0 or fps > 1000:
        fps = default_fps
    return float(fps), count, size


def check_video_suffix(path: Path) -> str:
    """The lower-case suffix of a video file we can write, or one error (a folder is named as such)."""
    path = Path(path)
    if path.is_dir():
        raise EdgestyleError(f"{path} is a folder; name a video file, e.g. {path / 'out.mp4'}")
    suffix = path.suffix.lower()
    if suffix not in FOURCC_BY_SUFFIX:
        raise EdgestyleError(
            f"unsupported video extension {path.suffix!r} for {path} "
            f"(use one of {', '.join(sorted(FOURCC_BY_SUFFIX))})"
        )
    return suffix


class VideoFileWriter:
    """Write BGR frames to a video file atomically: a temp file beside it, renamed on a clean close.

    Use as a context manager; leaving the block by an exception deletes the temp file, while
    :meth:`close` (or a normal exit) finalizes the container and renames it into place. A signal
    handler may call :meth:`close` to keep a recording playable when the process is stopped.

    ``audio_from`` copies that file's audio (PyAV only; :attr:`audio` says what happened).
    ``preset`` is libx264's speed/size trade (PyAV only; default ``ultrafast``, about OpenCV's cost).
    ``fragmented`` writes fragmented MP4 (PyAV only; :attr:`fragmented` says whether it is), which
    stays playable up to its last second if the process is killed before :meth:`close`. Write
    errors (a full disk) raise; they are never swallowed.

    OpenCV's ``VideoWriter.write`` reports nothing (it returns void; a full disk only prints FFmpeg
    warnings), so the writer also checks for itself, whatever the backend: before each frame it
    keeps room for one more frame and the index (:attr:`reserve`), and before the rename it decodes
    the file's last frame. A failure is one :class:`EdgestyleError` naming the file and the cause,
    and the file at the target name is never replaced by one that does not play. A recording
    (``keep_on_interrupt``) cut short by a full disk keeps what it has under a recovered name.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        fps: float,
        size: tuple[int, int],
        fourcc: str | None = None,
        keep_on_interrupt: bool = True,
        audio_from: str | os.PathLike | None = None,
        fragmented: bool = False,
        backend: str | None = None,
        preset: str | None = None,
    ):
        self.path = Path(path)
        self.keep_on_interrupt = keep_on_interrupt  # a recording keeps its frames; an offline job does not
        self.size = (int(size[0]), int(size[1]))
        self.fps = float(fps) if fps and fps > 0 else 30.0
        self.frames_written = 0
        self.recovered: Path | None = None  # where a recording cut short by a write failure was kept
        suffix = check_video_suffix(self.path)
        self.backend = "opencv" if fourcc else video_backend(backend)
        # 4:2:0 video needs even sides: odd ones get one replicated row/column.
        self._encoded = (self.size[0] + self.size[0] % 2, self.size[1] + self.size[1] % 2)
        self._atomic = atomic_path(self.path, kind=RECORDING if keep_on_interrupt else PARTIAL)
        self._tmp = self._atomic.__enter__()
        self._closed = True  # until the encoder exists
        try:
            self._check_space()
            if self.backend == "pyav":
                audio = Path(audio_from) if audio_from else None
                self._encoder = video_av.AvEncoder(
                    self._tmp, suffix, self.fps, self._encoded, audio, fragmented, preset
                )
            else:
                self._encoder = video_cv.CvEncoder(self._tmp, suffix, self.fps, self._encoded, fourcc)
        except BaseException:
            self._discard()
            raise
        self._closed = False

    @property
    def audio(self) -> str:
        """What happened to the input's audio: ``copied aac``, ``re-encoded ... to aac`` or ``none``."""
        return self._encoder.audio

    @property
    def fragmented(self) -> bool:
        return self._encoder.fragmented

    def write(self, frame_bgr: np.ndarray) -> None:
        """Append one frame; it is resized when it does not match the writer's size."""
        import cv2

        if self._closed:
            raise EdgestyleError(f"video {self.path} is already closed")
        if frame_bgr.shape[1::-1] != self.size:
            frame_bgr = cv2.resize(frame_bgr, self.size, interpolation=cv2.INTER_AREA)
        if self._encoded != self.size:
            pad_w, pad_h = self._encoded[0] - self.size[0], self._encoded[1] - self.size[1]
            frame_bgr = cv2.copyMakeBorder(frame_bgr, 0, pad_h, 0, pad_w, cv2.BORDER_REPLICATE)
        self._check_space()
        try:
            self._encoder.write(frame_bgr)
        except OSError as exc:  # PyAV reports the disk: say it about the file the user named
            self._stop_writing(EdgestyleError(describe_os_error(exc, self.path)))
        self.frames_written += 1

    def close(self) -> None:
        """Finalize the container and rename it onto the target (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self.frames_written == 0:
            self._encoder.abort()
            self._discard()  # an empty container is not a valid video: leave nothing behind
            return
        try:
            self._encoder.close()
        except OSError as exc:
            self._discard()
            raise EdgestyleError(describe_os_error(exc, self.path)) from None
        except BaseException:
            self._discard()
            raise
        if not plays_to_the_end(self._tmp, self.frames_written):
            error = self._failure()
            self._discard()
            raise error
        self._atomic.__exit__(None, None, None)

    def abort(self) -> None:
        """Drop the recording: release the writer and delete the temp file."""
        if self._closed:
            return
        self._closed = True
        self._encoder.abort()
        self._discard()

    @property
    def reserve(self) -> int:
        """Bytes that must stay free so that the next frame and the finished index still fit."""
        frame = self._encoded[0] * self._encoded[1] * 3 // 2
        return SPACE_RESERVE_BYTES + frame + INDEX_BYTES_PER_FRAME * self.frames_written

    def _check_space(self) -> None:
        """Stop before the disk is full, while the container's index still fits."""
        if free_bytes(self._tmp.parent) < self.reserve:
            self._stop_writing(no_space(self.path, self.reserve, self._tmp.parent))

    def _stop_writing(self, error: EdgestyleError) -> None:
        """A write failed or would fail: an offline job drops its file, a recording keeps what it has."""
        if self._closed or not self.keep_on_interrupt or self.frames_written == 0:
            if self._closed:
                self._discard()
            else:
                self.abort()
            raise error
        self._closed = True
        try:
            self._encoder.close()  # the reserve leaves room for the index
            if plays_to_the_end(self._tmp, self.frames_written):
                self.recovered = recovered_name(
                    self.path.parent, self.path.stem, self.path.suffix, time.time()
                )
                os.replace(self._tmp, self.recovered)
        except (OSError, EdgestyleError):
            pass
        self._discard()
        if self.recovered is None:
            raise error
        raise EdgestyleError(
            f"{error}; the {self.frames_written} frames recorded so far are in {self.recovered}"
        )

    def _failure(self) -> EdgestyleError:
        """Why the finished file does not play: a full disk, the file-size limit, or the encoder."""
        if free_bytes(self._tmp.parent) < self.reserve:
            return no_space(self.path, self.reserve, self._tmp.parent)
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if limit != resource.RLIM_INFINITY and self._tmp.stat().st_size >= limit - self.reserve:
            return EdgestyleError(describe_os_error(OSError(errno.EFBIG, "File too large"), self.path))
        return EdgestyleError(
            f"cannot write {self.path}: the finished video does not play back "
            f"({self.frames_written} frames were encoded); nothing was replaced"
        )

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


def plays_to_the_end(path: str | os.PathLike, frames: int) -> bool:
    """True when ``path`` opens and its frame ``frames - 1`` decodes (checked with OpenCV).

    A full disk usually loses an MP4's index (the file will not open at all), but AVI and Matroska
    headers still announce every frame of a truncated file, so the last frame itself is decoded.
    """
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            return False
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if 0 < count < frames:
            return False
        cap.set(cv2.CAP_PROP_POS_FRAMES, max(frames - 1, 0))
        ok, frame = cap.read()
        return bool(ok) and frame is not None
    finally:
        cap.release()
