"""``clip.mp4``, ``file://clip.mp4``, ``frames/``: a video file or image folder, read losslessly."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.sources.base import FrameSource, SourceOptions
from edgestyle.runtime.uris import Uri

if TYPE_CHECKING:
    import numpy as np


class VideoFileSource(FrameSource):
    """A video file or image folder, read losslessly; ``loop`` replays it and counts a restart.

    Also the fallback for any URI without a scheme.
    """

    schemes = ("file",)
    example = "a video file, an image folder"

    def __init__(self, path: Path, loop: bool = False):
        super().__init__()
        from edgestyle.runtime.video_io import probe_video, read_frames

        self.path = path
        self.name = str(path)
        self.loop = loop
        self.fps, self.frame_count, self.size = probe_video(path)
        self._read_frames = read_frames
        self._frames = read_frames(path)

    @classmethod
    def from_uri(cls, uri: Uri, options: SourceOptions) -> VideoFileSource:
        path = Path(uri.target).expanduser()
        if path.is_dir() or path.is_file():
            return cls(path, loop=options.loop)
        if path.suffix:
            raise EdgestyleError(f"video not found: {path}")
        from edgestyle.runtime.sources import SOURCES

        raise EdgestyleError(f"unknown source {uri.text!r}: use {SOURCES.help()}")

    def read(self) -> np.ndarray | None:
        while not self.closed.is_set():
            frame = next(self._frames, None)
            if frame is not None:
                return frame
            if not self.loop:
                return None
            self._frames = self._read_frames(self.path)
            self.restarts += 1
        return None
