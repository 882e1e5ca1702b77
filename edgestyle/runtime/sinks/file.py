"""``take.mp4`` (.avi, .mkv, .mov): records a video; Ctrl-C and SIGTERM keep a playable file.

The recording is written as fragmented MP4 (with PyAV) under a hidden ``.recording`` name and
renamed when it stops; after SIGKILL or a power cut it plays up to its last second, and the next
edgestyle command writing into the folder renames it to ``NAME.recovered-TIME.mp4``
(:func:`edgestyle.atomic.sweep_stale`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.sinks.base import FrameSink, SinkOptions
from edgestyle.runtime.uris import Uri

if TYPE_CHECKING:
    import numpy as np


class VideoFileSink(FrameSink):
    """Records to a video file, opened at the first frame's size; a close keeps a playable file.

    Also the fallback for any sink URI without a scheme.
    """

    schemes = ("file",)
    example = "a video file (.mp4, .avi, .mkv, .mov)"

    def __init__(self, path: Path, fps: float):
        from edgestyle.preflight import check_output_file
        from edgestyle.runtime.video_io import FOURCC_BY_SUFFIX, SPACE_RESERVE_BYTES

        if path.suffix.lower() not in FOURCC_BY_SUFFIX and not path.is_dir():
            from edgestyle.runtime.sinks import sink_help

            raise EdgestyleError(f"unknown sink {str(path)!r}: use {sink_help()}")
        check_output_file(path, needed_bytes=SPACE_RESERVE_BYTES)  # a folder, read-only, full: say so now
        self.path, self.fps, self.name = path, fps, str(path)
        self.writer = None

    @classmethod
    def from_uri(cls, uri: Uri, options: SinkOptions) -> VideoFileSink:
        return cls(Path(uri.target).expanduser(), options.fps)

    def write(self, frame_bgr: np.ndarray) -> bool:
        if self.writer is None:
            from edgestyle.runtime.video_io import VideoFileWriter

            # Fragmented MP4 (PyAV): a crash or power cut keeps everything up to the last second.
            self.writer = VideoFileWriter(self.path, self.fps, frame_bgr.shape[1::-1], fragmented=True)
        self.writer.write(frame_bgr)
        return True

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
