"""One exception type for every problem a user can fix, so the CLI can print one line and exit.

Anything raised as :class:`EdgestyleError` is the user's input (or machine) being wrong: a missing
file, a frame size the model cannot take, a full disk. :func:`user_error` says the same for the OS
and library failures a user can act on (no space, read-only, out of memory, a corrupt checkpoint);
everything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import os
import signal

EXIT_ERROR = 1
EXIT_BROKEN_PIPE = 141  # what a shell reports for a pipeline member killed by SIGPIPE


class EdgestyleError(Exception):
    """A problem with the user's input, reported as one line and a non-zero exit code."""

    exit_code = EXIT_ERROR


class BrokenPipe(EdgestyleError):
    """The reader of our stdout went away before taking everything (``| head``): 128 + SIGPIPE."""

    exit_code = EXIT_BROKEN_PIPE


class NotBuiltYet(EdgestyleError):
    """A command or option that exists in the CLI but is not implemented yet (exit code 2)."""

    exit_code = 2


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM: a KeyboardInterrupt that remembers the signal, for the 128+N exit code."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)


def signal_of(exc: BaseException) -> int:
    """The signal behind an interrupt (a plain KeyboardInterrupt is Ctrl-C, SIGINT)."""
    return getattr(exc, "signum", int(signal.SIGINT))


# What each OS error means for someone writing an output, and what they can do about it.
_CAUSES = {
    errno.ENOSPC: ("no space left on device", "free some space or write elsewhere"),
    errno.EDQUOT: ("disk quota exceeded", "free some space or write elsewhere"),
    errno.EFBIG: ("file too large (the file-size limit was reached)", "check 'ulimit -f' or the filesystem"),
    errno.EROFS: ("read-only file system", "write to a writable folder"),
    errno.EACCES: ("permission denied", "check the owner and permissions"),
    errno.EPERM: ("operation not permitted", "check the owner and permissions"),
    errno.EISDIR: ("is a folder", "name a file inside it"),
    errno.ENOTDIR: ("a part of the path is not a folder", None),
    errno.ENOENT: ("no such file or folder", None),
    errno.EIO: ("input/output error", "the disk or card may be failing or was removed"),
    errno.ENOMEM: ("out of memory", "use a smaller size"),
    errno.EMFILE: ("too many open files", None),
    errno.ELOOP: ("a symlink loop", None),
    errno.EPIPE: ("the reader closed the pipe (broken pipe)", None),
    errno.EBADF: ("it is closed", None),
}
# Failures that only a write can meet: the one case where the verb follows from the error itself.
_WRITE_ONLY = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EPIPE}


def failure_cause(exc: BaseException) -> tuple[str, str | None] | None:
    """(cause, hint) of an OS-level failure: an OSError's errno, or a library message quoting one
    (TensorFlow writes "path; No space left on device"); None for anything else."""
    if isinstance(exc, OSError) and exc.errno in _CAUSES:
        return _CAUSES[exc.errno]
    text = str(exc).lower()
    for code, found in _CAUSES.items():
        if os.strerror(code).lower() in text:
            return found
    return None


def describe_os_error(exc: OSError, path: str | os.PathLike | None = None, action: str = "write") -> str:
    """``cannot write out.mp4: no space left on device (free some space or write elsewhere)``."""
    where = path if path is not None else (exc.filename if exc.filename is not None else "")
    cause, hint = _CAUSES.get(exc.errno or -1, (exc.strerror or str(exc) or type(exc).__name__, None))
    text = f"cannot {action} {where}: {cause}" if where != "" else f"{cause}"
    return f"{text} ({hint})" if hint else text


def user_error(exc: BaseException) -> EdgestyleError | None:
    """The one-line error for a failure the user can act on, or None for a bug (keep the traceback).

    Library errors are recognised by type name so that neither OpenCV nor TensorFlow is imported
    here (the runtime never has TensorFlow).
    """
    if isinstance(exc, EdgestyleError):
        return exc
    if isinstance(exc, MemoryError):
        return EdgestyleError("not enough memory for this size (use a smaller size or fewer frames)")
    if isinstance(exc, OSError) and exc.errno is not None:
        # Reached only where no caller said what it was doing: name the verb only when the error
        # implies it (a full disk is a write), never guess "write" for a file that could not be read.
        action = "write" if exc.errno in _WRITE_ONLY else "find" if exc.errno == errno.ENOENT else "access"
        return EdgestyleError(describe_os_error(exc, action=action))
    kind = type(exc)
    module = kind.__module__ or ""
    message = str(exc)
    if module.startswith("cv2"):
        if "Insufficient memory" in message or "Failed to allocate" in message:
            return EdgestyleError("not enough memory for this frame size (OpenCV could not allocate it)")
        if "CV_IO_MAX_IMAGE_PIXELS" in message:
            return EdgestyleError(
                "image too large: its header claims more than the 2^30 pixels OpenCV decodes"
            )
        return None
    if module.startswith("tensorflow"):
        return _tensorflow_error(kind.__name__, message)
    return None


def _tensorflow_error(name: str, message: str) -> EdgestyleError | None:
    first = next((line.strip() for line in message.splitlines() if line.strip()), name)
    found = failure_cause(Exception(first))
    if found is not None:
        path, _, _ = first.partition(";")
        cause, hint = found
        return EdgestyleError(f"cannot write {path.strip()}: {cause}" + (f" ({hint})" if hint else ""))
    if name == "DataLossError":
        return EdgestyleError(f"a saved file is corrupt or truncated: {first}")
    if name == "ResourceExhaustedError":
        return EdgestyleError(f"out of memory: {first} (use a smaller size or batch)")
    return None
