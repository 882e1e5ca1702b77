"""The thin base every frame sink implements, the options ``open_sink`` passes on, and the tee."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


def _quiet(message: str) -> None:
    pass


@dataclass
class SinkOptions:
    """What the caller asks of any sink: the frame rate to record at and where notices go."""

    fps: float = 30.0
    log: Callable[[str], None] = field(default=_quiet)
    preview_token: str | None = None  # --preview-token, for the browser preview (sinks/http.py)


class FrameSink:
    """Base class: ``write(frame) -> bool`` (False: the viewer asked to quit), ``close()``, ``abort()``.

    A subclass in its own module sets ``schemes`` (and ``prefixes`` for scheme-less paths such
    as ``/dev/fb0``), an ``example`` for help texts, and implements ``from_uri``; one line in
    ``edgestyle/runtime/sinks/__init__.py`` registers it.
    """

    schemes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    example = ""
    name = "sink"
    watched = False  # a person looks at it: a file source plays at its own rate instead of flat out

    @classmethod
    def from_uri(cls, uri, options: SinkOptions) -> FrameSink:
        """Open the sink a parsed :class:`~edgestyle.runtime.uris.Uri` names."""
        raise NotImplementedError

    def write(self, frame_bgr: np.ndarray) -> bool:
        raise NotImplementedError

    def on_key(self, handler: Callable[[str], None]) -> None:
        """Sinks a person can type into (the window) pass each key but quit to ``handler``."""

    def close(self) -> None:
        pass

    def abort(self) -> None:
        """Stop after a crash: by default the same as close (a file sink discards instead)."""
        self.close()

    def attach_status(self, status: Callable[[], dict[str, Any]]) -> None:
        """Sinks that show how the run is going (the browser preview's /status) keep ``status``."""


class TeeSink(FrameSink):
    """Several sinks at once (show on HDMI and record); stops when any viewer asks to quit."""

    def __init__(self, sinks: list[FrameSink]):
        self.sinks = sinks
        self.name = " + ".join(s.name for s in sinks)
        self.watched = any(s.watched for s in sinks)

    def write(self, frame_bgr: np.ndarray) -> bool:
        return all([sink.write(frame_bgr) for sink in self.sinks])  # a list: every sink gets the frame

    def on_key(self, handler: Callable[[str], None]) -> None:
        for sink in self.sinks:
            sink.on_key(handler)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()

    def abort(self) -> None:
        for sink in self.sinks:
            sink.abort()

    def attach_status(self, status: Callable[[], dict[str, Any]]) -> None:
        for sink in self.sinks:
            sink.attach_status(status)
