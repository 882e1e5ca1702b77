"""Check that an output can be written before spending minutes of compute on it.

A job that fails at its last step (a read-only folder, a full disk, ``-o`` naming a folder, the
output being the input) wastes the user's time and, worse, can look like success. Every command
runs these checks on its outputs first; the writers check again while writing, since space can
run out in between.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from edgestyle.atomic import check_parent_exists
from edgestyle.errors import EdgestyleError, describe_os_error

MIB = 1024 * 1024


def free_bytes(folder: str | os.PathLike) -> int:
    """Bytes an unprivileged writer may still use on ``folder``'s filesystem (statvfs f_bavail)."""
    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize


def no_space(
    path: str | os.PathLike, needed: int | None = None, folder: str | os.PathLike | None = None
) -> EdgestyleError:
    """The one-line error for a full disk, naming the path, what is free and (if known) what is needed."""
    folder = Path(folder) if folder is not None else Path(path).parent
    try:
        free = f"{free_bytes(folder) / MIB:.1f} MiB free"
    except OSError:
        free = "free space unknown"
    need = f"; about {needed / MIB:.1f} MiB needed" if needed else ""
    cause = describe_os_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), path)
    return EdgestyleError(f"{cause} [{free} in {folder}{need}]")


def check_free_space(folder: str | os.PathLike, needed: int, target: str | os.PathLike | None = None) -> None:
    """Refuse when ``folder``'s filesystem has less than ``needed`` bytes free for ``target``."""
    if needed > 0 and free_bytes(folder) < needed:
        raise no_space(target if target is not None else folder, needed, folder)


def check_writable_folder(folder: str | os.PathLike, target: str | os.PathLike | None = None) -> None:
    """Create and delete a probe file in ``folder``: the only test that catches read-only mounts,
    permissions (for root too), exhausted inodes and a full disk alike."""
    try:
        fd, name = tempfile.mkstemp(prefix=".edgestyle-probe.", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise EdgestyleError(describe_os_error(exc, target if target is not None else folder)) from None


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when two paths name one file (symlinks, hard links and ``./x`` vs ``x`` included)."""
    a, b = Path(a), Path(b)
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_output_file(
    path: str | os.PathLike,
    *,
    inputs: Iterable[str | os.PathLike] = (),
    needed_bytes: int = 0,
) -> Path:
    """An output file we may write: not a folder, not an input, in a writable folder with room."""
    path = Path(path)
    if path.is_dir():
        raise EdgestyleError(f"{path} is a folder, not a file; name a file inside it")
    check_parent_exists(path)
    for source in inputs:
        if same_file(path, source):
            raise EdgestyleError(
                f"the output {path} is the input; write to another name (and rename it afterwards if you mean to replace the input)"
            )
    check_writable_folder(path.parent, path)
    check_free_space(path.parent, needed_bytes, path)
    return path


def check_output_folder(path: str | os.PathLike, needed_bytes: int = 0) -> Path:
    """An output folder (eval reports, conversions): a folder or a new name in a writable folder."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise EdgestyleError(f"{path} is a file, not a folder; name a folder for the outputs")
    check_parent_exists(path)
    folder = path if path.is_dir() else path.parent
    check_writable_folder(folder, path)
    check_free_space(folder, needed_bytes, path)
    return path
