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
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType

VERBOSE_ENV = "EDGESTYLE_VERBOSE"  # inherited by child processes (training workers, tests)
# LiteRT/TFLite "INFO: ...", absl "I0000 00:00:..." (and its notice that it logs to stderr before
# InitializeLog), TensorFlow's "2025-01-01 12:00:00.0: I tensorflow/..." and oneDNN's note.
_INFO_LINE = re.compile(
    r"^(INFO: |I\d{4} |\S+ \S+: I |.*oneDNN custom operations are on"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR)"
)


def set_verbose(verbose: bool) -> None:
    """Switch verbosity for this process and its children (TensorFlow's C++ logs too, when verbose)."""
    if verbose:
        os.environ[VERBOSE_ENV] = "1"
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0")  # before train/convert set their quiet default
    else:
        os.environ.pop(VERBOSE_ENV, None)


def verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def is_info_line(line: str) -> bool:
    return bool(_INFO_LINE.match(line))


class _Fd2Router:
    """File descriptor 2 through one pipe while any block needs it; each line is offered to the routes.

    Native libraries write to fd 2 directly, so the only way to filter (INFO lines) or to notice
    (a decoder's "Premature end of JPEG file") what they say is to read fd 2 ourselves. One pipe
    and one pump thread serve every block at once, in any thread, so a picture decoded in a worker
    while training filters its logs does not swap fd 2 under the other block. A route returns False
    to keep a line from the real stderr; :meth:`sync` waits until everything written so far was routed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: list[Callable[[str], bool]] = []
        self._users = 0
        self._real = -1
        self._thread: threading.Thread | None = None
        self._stderr_before: object = None
        self._synced: dict[bytes, threading.Event] = {}
        self._tokens = 0

    @contextlib.contextmanager
    def routed(self, route: Callable[[str], bool]) -> Iterator[None]:
        self._enter(route)
        try:
            yield
        finally:
            self.sync()  # lines written inside the block meet this block's route
            self._leave(route)

    def sync(self, timeout: float = 2.0) -> None:
        """Wait until the pump has routed every line written to fd 2 before this call."""
        with self._lock:
            if not self._users:
                return
            self._tokens += 1
            token = b"\x1bedgestyle-sync-%d\n" % self._tokens
            event = self._synced[token] = threading.Event()
        os.write(2, token)
        event.wait(timeout)
        with self._lock:
            self._synced.pop(token, None)

    def _enter(self, route: Callable[[str], bool]) -> None:
        with self._lock:
            self._routes.append(route)
            self._users += 1
            if self._users == 1:
                self._install()

    def _leave(self, route: Callable[[str], bool]) -> None:
        with self._lock:
            self._routes.remove(route)
            self._users -= 1
            if self._users:
                return
            thread, real = self._thread, self._real
            if self._stderr_before is not None:
                sys.stderr.flush()
                sys.stderr = self._stderr_before
                self._stderr_before = None
            os.dup2(real, 2)  # the pipe's last write end closes: the pump reads to the end and stops
        if thread is not None:
            thread.join(timeout=5.0)
        os.close(real)

    def _install(self) -> None:
        try:
            python_on_fd2 = sys.stderr.fileno() == 2
        except (AttributeError, OSError, ValueError):
            python_on_fd2 = False
        sys.stderr.flush()
        self._real = real = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
        self._thread = threading.Thread(
            target=self._pump, args=(read_end, real), name="fd2-router", daemon=True
        )
        self._thread.start()
        if python_on_fd2:  # our own messages and progress bars keep their terminal, unfiltered
            previous = sys.stderr
            self._stderr_before = previous
            sys.stderr = open(  # noqa: SIM115 - lives as long as whatever kept a reference to it
                os.dup(real), "w", buffering=1, encoding=previous.encoding, errors=previous.errors
            )

    def _pump(self, read_end: int, real: int) -> None:
        with os.fdopen(read_end, "rb") as pipe:
            for raw in pipe:
                with self._lock:
                    event = self._synced.get(raw)
                    routes = list(self._routes)
                if event is not None:
                    event.set()
                    continue
                line = raw.decode(errors="replace")
                if all([route(line) is not False for route in routes]):  # a list: every route sees it
                    with contextlib.suppress(OSError):
                        os.write(real, raw)


_ROUTER = _Fd2Router()


@contextlib.contextmanager
def native_logs_filtered() -> Iterator[None]:
    """Drop the INFO lines C/C++ code writes to fd 2 inside the block (unless verbose).

    Everything else (warnings, errors, crashes) reaches the real stderr as it comes. Python's own
    ``sys.stderr`` is pointed straight at the real stderr meanwhile, so our messages and progress
    bars keep their terminal; when ``sys.stderr`` is not fd 2 (a test runner's capture) it is left alone.
    """
    if verbose():
        yield
        return
    with _ROUTER.routed(lambda line: not is_info_line(line)):
        yield


# What image decoders (libjpeg, libpng, libtiff, libwebp, OpenCV's loader) say about a damaged file.
_DECODER_LINE = re.compile(
    r"jpeg|jfif|huffman|png|tiff|webp|corrupt|premature|marker|imdecode|imread|quantization|"
    r"progression|datastream|bogus",
    re.IGNORECASE,
)
_DECODING = threading.Lock()  # one decode at a time, so each knows which lines are its own


@contextlib.contextmanager
def decoder_messages() -> Iterator[list[str]]:
    """Collect what image decoders write to fd 2 inside the block, instead of letting it through.

    libjpeg warns "Premature end of JPEG file" and still returns a picture half grey; the caller
    turns the collected lines into one error naming the file. ``--verbose`` shows them too.
    """
    found: list[str] = []
    show = verbose()

    def route(line: str) -> bool:
        if _DECODER_LINE.search(line):
            found.append(line.strip())
            return show
        return True

    with _DECODING, _ROUTER.routed(route):
        yield found


class Progress:
    """Progress of ``total`` items (None: unknown): a rich bar on a terminal, else a plain line every
    ``every`` seconds on stderr, so logs, pipes and CI get a readable record instead of a flood.

    Use as a context manager; :meth:`advance` (or tqdm's name, :meth:`update`) counts items and
    :meth:`set_postfix` shows a few figures (losses) after the count. ``enabled=False`` prints nothing.
    """

    def __init__(
        self,
        label: str,
        total: int | None,
        unit: str = "frames",
        every: float = 10.0,
        initial: int = 0,
        enabled: bool = True,
    ):
        self.label, self.total, self.unit, self.every = label, total or None, unit, every
        self.enabled = enabled
        self.done = self._start_count = initial
        self.postfix = ""
        self._bar = None
        self._started = self._last = time.monotonic()

    def __enter__(self) -> Progress:
        if self.enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            columns = (TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            self._bar = Progress(
                *columns, TextColumn("{task.fields[postfix]}"), console=Console(stderr=True), transient=True
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.label, total=self.total, completed=self.done, postfix="")
        return self

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(self._task, advance=n, postfix=self.postfix)
            return
        now = time.monotonic()
        if self.enabled and now - self._last >= self.every:
            self._last = now
            print(self.line(now), file=sys.stderr, flush=True)

    update = advance  # tqdm's name

    def set_postfix(self, values: dict[str, str]) -> None:
        self.postfix = " ".join(f"{key} {value}" for key, value in values.items())

    def line(self, now: float | None = None) -> str:
        elapsed = max(1e-9, (now or time.monotonic()) - self._started)
        rate = (self.done - self._start_count) / elapsed
        tail = f"; {self.postfix}" if self.postfix else ""
        if not self.total:
            return f"{self.label}: {self.done} {self.unit}, {rate:.1f}/s{tail}"
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        return (
            f"{self.label}: {self.done}/{self.total} {self.unit} ({100 * self.done / self.total:.0f}%), "
            f"{rate:.2f}/s, {left:.0f} s left{tail}"
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
