"""Results on stdout when stdout may be a pipe whose reader leaves (``| head -c 100``) or is closed (``>&-``).

Python's buffered ``sys.stdout.buffer.write`` hides a short write, and with stdout closed
``sys.stdout`` is None, so every byte we put on stdout goes through :func:`write_stdout`: each
``write(2)`` is checked and repeated until all is out, a reader that went away is EPIPE (exit 141,
what a shell reports for SIGPIPE, :class:`~edgestyle.errors.BrokenPipe`), a closed stdout is exit 1,
and a reader that left with our bytes still unread in the pipe counts as gone too. A reader that
leaves only after we finished and exited cannot be noticed by anyone.
"""

from __future__ import annotations

import array
import errno
import os
import select
import stat
import sys

from edgestyle.errors import BrokenPipe, EdgestyleError, failure_cause


def check_stdout(what: str) -> None:
    """Before any work: stdout must exist to take ``what`` (it is None when the shell closed it)."""
    if sys.stdout is None:
        raise EdgestyleError(f"cannot write {what} to stdout: it is closed (redirect it to a file or a pipe)")


def write_stdout(data: bytes, what: str) -> None:
    """Write all of ``data`` to stdout or raise one error saying how much got out and why not the rest."""
    check_stdout(what)
    stream = sys.stdout
    try:
        stream.flush()  # whatever Python printed before goes first
        fd = stream.fileno()
    except BrokenPipeError:
        raise BrokenPipe(f"cannot write {what} to stdout: the reader closed the pipe") from None
    except (AttributeError, OSError, ValueError):  # an in-memory stdout (a test runner): no fd to check
        stream.buffer.write(data)
        stream.buffer.flush()
        return
    written = 0
    try:
        while written < len(data):
            try:
                written += os.write(fd, memoryview(data)[written:])
            except BlockingIOError:  # stdout is a full non-blocking pipe: wait until it drains
                select.select([], [fd], [], 1.0)
    except OSError as exc:
        raise _failure(exc, what, written, len(data)) from None
    unread = _left_unread(fd)
    if unread:
        raise BrokenPipe(
            f"cannot write {what} to stdout: the reader closed the pipe with {unread} of {len(data)} bytes "
            "unread (it took only the start)"
        )


def _failure(exc: OSError, what: str, written: int, total: int) -> EdgestyleError:
    done = f" after {written} of {total} bytes" if written else ""
    if exc.errno == errno.EPIPE:
        return BrokenPipe(f"cannot write {what} to stdout: the reader closed the pipe{done}")
    if exc.errno == errno.EBADF:
        return EdgestyleError(f"cannot write {what} to stdout: it is closed{done}")
    cause, hint = failure_cause(exc) or (exc.strerror or str(exc), None)
    return EdgestyleError(f"cannot write {what} to stdout{done}: {cause}" + (f" ({hint})" if hint else ""))


def _left_unread(fd: int) -> int:
    """Bytes still waiting in a pipe whose every reader has gone (0 if not a pipe or a reader is there)."""
    import fcntl
    import termios

    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return 0
        poll = select.poll()
        poll.register(fd, select.POLLOUT)
        if not any(events & select.POLLERR for _, events in poll.poll(0)):
            return 0
        count = array.array("i", [0])
        fcntl.ioctl(fd, termios.FIONREAD, count)
        return int(count[0])
    except (OSError, AttributeError):
        return 0


def silence_stdout() -> None:
    """After a broken pipe: point fd 1 at /dev/null so Python's exit-time flush has nowhere to fail.

    (Python's own advice for EPIPE; otherwise the interpreter prints "Exception ignored ... BrokenPipeError".)
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
