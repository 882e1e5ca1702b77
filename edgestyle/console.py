"""What edgestyle prints besides results: quiet by default, everything with ``--verbose``.

Native libraries write INFO lines straight to file descriptor 2 (LiteRT's "Created TensorFlow
Lite XNNPACK delegate for CPU.", TensorFlow's oneDNN and absl notes), where Python's logging
cannot filter them: :func:`native_logs_filtered` captures the descriptor around the call that
prints them and passes on only warnings and errors. :class:`Progress` draws a bar on a terminal
and writes a plain line every few seconds otherwise, so logs and CI output stay readable.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from types import TracebackType

VERBOSE_ENV = "EDGESTYLE_VERBOSE"  # inherited by child processes (training workers, tests)
# LiteRT/TFLite "INFO: ...", absl/glog "I0000 00:00:..." and TensorFlow's own info lines.
_INFO_LINE = re.compile(r"^(INFO: |I\d{4} |\S+ \S+: I |.*oneDNN custom operations are on)")


def set_verbose(verbose: bool) -> None:
    """Switch verbosity for this process and its children; quiet also silences TensorFlow's C++ logs."""
    if verbose:
        os.environ[VERBOSE_ENV] = "1"
    else:
        os.environ.pop(VERBOSE_ENV, None)
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow: warnings and errors only


def verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def is_info_line(line: str) -> bool:
    return bool(_INFO_LINE.match(line))


@contextlib.contextmanager
def native_logs_filtered() -> Iterator[None]:
    """Hide INFO lines that C/C++ code prints to fd 2 inside the block (unless verbose).

    The descriptor goes to a temporary file (not a pipe, which would block a chatty library), and
    every other line is written back to stderr when the block ends, errors included.
    """
    if verbose():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = [
                line
                for line in capture.read().decode(errors="replace").splitlines()
                if not is_info_line(line)
            ]
            if kept:
                print("\n".join(kept), file=sys.stderr, flush=True)


class Progress:
    """Progress of ``total`` items: a rich bar on a terminal, else a plain line every ``every`` seconds.

    ``total`` may be None (unknown). Use as a context manager and call :meth:`advance`.
    """

    def __init__(self, label: str, total: int | None, unit: str = "frames", every: float = 10.0):
        self.label, self.total, self.unit, self.every = label, total, unit, every
        self.done = 0
        self._bar = None
        self._started = self._last = time.monotonic()

    def __enter__(self) -> Progress:
        if sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            columns = (TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            self._bar = Progress(*columns, transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.label, total=self.total)
        return self

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.advance(self._task, n)
            return
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            print(self.line(now), file=sys.stderr, flush=True)

    def line(self, now: float | None = None) -> str:
        elapsed = max(1e-9, (now or time.monotonic()) - self._started)
        rate = self.done / elapsed
        if not self.total:
            return f"{self.label}: {self.done} {self.unit}, {rate:.1f}/s"
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        return (
            f"{self.label}: {self.done}/{self.total} {self.unit} ({100 * self.done / self.total:.0f}%), "
            f"{rate:.1f}/s, {left:.0f} s left"
        )

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc, tb)
