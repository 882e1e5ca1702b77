"""``null``: counts frames and drops them (benchmarks, smoke tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edgestyle.runtime.sinks.base import FrameSink, SinkOptions
from edgestyle.runtime.uris import Uri

if TYPE_CHECKING:
    import numpy as np


class NullSink(FrameSink):
    """Counts frames and drops them: measures the pipeline without any display cost."""

    schemes = ("null", "none")
    example = "null"
    name = "null"

    def __init__(self) -> None:
        self.frames = 0

    @classmethod
    def from_uri(cls, uri: Uri, options: SinkOptions) -> NullSink:
        return cls()

    def write(self, frame_bgr: np.ndarray) -> bool:
        self.frames += 1
        return True
