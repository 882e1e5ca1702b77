"""``test://?size=320x240&fps=30&frames=60``: a generated panning scene, no camera needed.

``&stamp=1`` draws each frame's capture time into its top-left corner (:mod:`edgestyle.runtime.stamp`),
for measuring glass-to-glass frame age at a viewer.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from edgestyle.runtime.sources.base import FrameSource, SourceOptions
from edgestyle.runtime.uris import Uri

if TYPE_CHECKING:
    import numpy as np


class PatternSource(FrameSource):
    """A panning scene that plays forward then backward forever (no jump, so no scene cut).

    Paced at ``fps`` like a camera (``fps=0``: as fast as it is read).
    """

    schemes = ("test",)
    example = "test://"
    live = True
    name = "test"

    def __init__(
        self, size: tuple[int, int] = (320, 240), fps: float = 30.0, frames: int = 60, stamp: bool = False
    ):
        super().__init__()
        self.stamp = stamp
        from edgestyle.synthetic import moving_scene

        self.fps = fps or 30.0
        self._pace = 1.0 / fps if fps else 0.0
        clip = moving_scene(frames, size[0], size[1])
        self._frames = clip + clip[-2:0:-1]
        self._i = 0
        self._next = time.monotonic()

    @classmethod
    def from_uri(cls, uri: Uri, options: SourceOptions) -> PatternSource:
        """Every value checked: the clip is generated up front and held in memory."""
        from edgestyle.errors import EdgestyleError
        from edgestyle.limits import LIVE_BYTES_PER_PIXEL, check_frame_size, check_number

        try:
            fps = float(uri.param("fps") or options.fps)
            frames = int(uri.param("frames") or 60)
            stamp = bool(int(uri.param("stamp") or 0))
        except ValueError:
            raise EdgestyleError(
                "bad test:// parameters: expected e.g. test://?size=320x240&fps=30&frames=60&stamp=1"
            ) from None
        check_number(fps, "test:// fps=", 0, 1000, note=" (0: as fast as it is read)")
        check_number(frames, "test:// frames=", 2, 10_000)
        size = uri.size_param(options.size or (320, 240))
        check_frame_size(size, "test:// size", 3 * frames + LIVE_BYTES_PER_PIXEL)
        return cls(size, fps, frames, stamp)

    def read(self) -> np.ndarray | None:
        if self.closed.is_set():
            return None
        if self._pace:
            self._next = max(self._next + self._pace, time.monotonic() - self._pace)
            self.closed.wait(max(0.0, self._next - time.monotonic()))
        frame = self._frames[self._i % len(self._frames)].copy()
        self._i += 1
        if self.stamp:
            from edgestyle.runtime.stamp import draw_stamp

            draw_stamp(frame, round(time.monotonic() * 1000))
        return frame
