"""The thin base every frame source implements, and the options ``open_source`` passes on."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def _quiet(message: str) -> None:
    pass


@dataclass
class SourceOptions:
    """What the caller asks of any source; each source uses what applies to it.

    ``size`` is the capture size asked of cameras (None: the source's default), ``fps`` the
    camera rate, ``loop`` replays finite sources, ``log`` receives one-line notices.
    """

    size: tuple[int, int] | None = None
    fps: float = 30.0
    loop: bool = False
    log: Callable[[str], None] = field(default=_quiet)


class FrameSource:
    """Base class: ``read()`` -> BGR uint8 frame or None at the end; ``close()`` is idempotent.

    A subclass in its own module sets ``schemes`` (and ``prefixes`` for scheme-less paths such
    as ``/dev/video0``), an ``example`` for help texts, and implements ``from_uri``; one line in
    ``edgestyle/runtime/sources/__init__.py`` registers it.
    """

    schemes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    example = ""
    live = False  # a live source drops stale frames; a finite one is read losslessly
    fps: float = 30.0
    name = "source"

    def __init__(self) -> None:
        self.restarts = 0  # the pipeline resets the recurrent state whenever this grows
        self.closed = threading.Event()  # set = stop requested: waits inside read() return early
        self._released = False

    @classmethod
    def from_uri(cls, uri, options: SourceOptions) -> FrameSource:
        """Open the source a parsed :class:`~edgestyle.runtime.uris.Uri` names."""
        raise NotImplementedError

    def read(self) -> np.ndarray | None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop and release the device (idempotent; call it from the thread that reads)."""
        self.closed.set()
        if not self._released:
            self._released = True
            self._release()

    def _release(self) -> None:
        pass

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
