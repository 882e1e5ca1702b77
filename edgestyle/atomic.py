"""Write outputs through a temporary name and rename them only on success.

A crash, a bad input or Ctrl-C must never leave a half-written file that looks valid, so every
writer in edgestyle goes through :func:`atomic_path` (files) or :func:`atomic_dir` (directories).

Temporary names are hidden and carry their owner: ``.NAME.PID@HOST.XXXXXXXX.partial.EXT``. A
process killed outright (SIGKILL, power loss) cannot clean up, so the first write into a folder
sweeps what dead processes of this host left there (:func:`sweep_stale`): ``partial`` files of
offline jobs are deleted, and a live recording (``.recording.EXT``, see
:mod:`edgestyle.runtime.video_io`) is kept under a visible name, ``NAME.recovered-TIME.EXT``, since
it holds footage that plays up to the moment the process died.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from edgestyle.errors import EdgestyleError, describe_os_error, failure_cause

PARTIAL = "partial"  # an offline job's output in progress: junk once its process is gone
RECORDING = "recording"  # a live recording in progress: footage to recover once its process is gone
_STALE = re.compile(
    r"^\.(?P<stem>.*)\.(?P<pid>\d+)@(?P<host>[A-Za-z0-9-]*)\.[a-z0-9_]{8}\.(?P<kind>partial|recording)(?P<suffix>\.[^.]+)?$"
)
_swept: set[str] = set()


def default_file_mode() -> int:
    """0666 less the process umask, read without changing it (os.umask would race with threads).

    mkstemp creates private (0600) files; a finished output should get the usual permissions.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    return 0o644


def check_parent_exists(path: Path) -> None:
    """Fail with one clear line when the output's directory does not exist."""
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise EdgestyleError(f"output directory does not exist: {parent}")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "", socket.gethostname())[:16]


def temp_prefix(name: str) -> str:
    """``.NAME.PID@HOST.``: what :func:`sweep_stale` reads back to find the owner."""
    return f".{name}.{os.getpid()}@{_host()}."


def process_alive(pid: int) -> bool:
    """True while ``pid`` exists (a process of another user counts: kill(pid, 0) says EPERM)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recovered_name(folder: Path, stem: str, suffix: str, when: float) -> Path:
    """``NAME.recovered-20250101-120000.EXT`` (the recording's last write), never an existing name."""
    base = f"{stem}.recovered-{time.strftime('%Y%m%d-%H%M%S', time.localtime(when))}"
    candidate, n = folder / f"{base}{suffix}", 2
    while candidate.exists():
        candidate, n = folder / f"{base}-{n}{suffix}", n + 1
    return candidate


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sweep_stale(
    folder: str | os.PathLike, log: Callable[[str], None] = _say
) -> list[tuple[Path, Path | None]]:
    """Clean up after dead edgestyle processes of this host in ``folder`` (once per folder and process).

    Returns ``(stale, recovered_as)`` pairs; ``recovered_as`` is None for what was deleted. Files of
    live processes, of other hosts (a shared network folder) and anything not named by
    :func:`temp_prefix` are left alone.
    """
    folder = Path(folder)
    key = str(folder.resolve())
    if key in _swept:
        return []
    _swept.add(key)
    done: list[tuple[Path, Path | None]] = []
    host = _host()
    try:
        entries = [e for e in folder.iterdir() if e.name.startswith(".")]
    except OSError:
        return done
    for entry in entries:
        match = _STALE.match(entry.name)
        if not match or match["host"] != host or process_alive(int(match["pid"])):
            continue
        try:
            if match["kind"] == RECORDING and entry.is_file() and entry.stat().st_size > 0:
                target = recovered_name(folder, match["stem"], match["suffix"] or "", entry.stat().st_mtime)
                os.replace(entry, target)
                log(f"recovered a recording cut short by a crash (process {match['pid']}): {target}")
                done.append((entry, target))
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            done.append((entry, None))
        except OSError:
            continue  # read-only or raced with another sweeper: not our problem to report here
    return done


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None, kind: str = PARTIAL) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary name keeps the real extension (``suffix``, default the target's) because
    writers such as OpenCV's VideoWriter choose the container from it. ``kind`` is
    :data:`RECORDING` for a live recording that a later sweep should recover, not delete.
    """
    target = Path(path)
    check_parent_exists(target)
    sweep_stale(target.parent)
    suffix = target.suffix if suffix is None else suffix
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=temp_prefix(target.stem), suffix=f".{kind}{suffix}", dir=target.parent
        )
    except OSError as exc:
        raise EdgestyleError(describe_os_error(exc, target)) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            yield tmp
        except OSError as exc:  # a write into the temporary file: name the file the user asked for
            if exc.filename is not None and Path(exc.filename) != tmp:
                raise
            raise EdgestyleError(describe_os_error(exc, target)) from None
        try:
            if tmp.exists():
                os.chmod(tmp, default_file_mode())
            os.replace(tmp, target)
        except OSError as exc:
            raise EdgestyleError(describe_os_error(exc, target)) from None
    finally:
        if tmp.exists():
            tmp.unlink()


def temp_dir(parent: str | os.PathLike, name: str) -> Path:
    """A hidden work folder in ``parent`` named like :func:`atomic_path`'s files (so it is swept too)."""
    sweep_stale(parent)
    try:
        return Path(tempfile.mkdtemp(prefix=temp_prefix(name), suffix=f".{PARTIAL}", dir=parent))
    except OSError as exc:
        raise EdgestyleError(describe_os_error(exc, Path(parent) / name)) from None


@contextlib.contextmanager
def staging_dir(out: str | os.PathLike, name: str) -> Iterator[Path]:
    """A hidden work folder inside ``out`` (same filesystem, so publishing is a rename); always removed.

    For jobs that write several files into a folder that may hold others (conversions, reports):
    build everything here, then move each finished file into ``out``. ``out`` is created if needed
    and removed again if the job fails before anything was moved into it.
    """
    out = Path(out)
    created = not out.exists()
    try:
        out.mkdir(exist_ok=True)
    except OSError as exc:
        raise EdgestyleError(describe_os_error(exc, out)) from None
    try:
        work = temp_dir(out, name)
    except BaseException:
        if created:
            out.rmdir()
        raise
    try:
        yield work
    except Exception as exc:  # a full disk deep inside the work folder: name the folder the user gave
        found = None if isinstance(exc, EdgestyleError) else failure_cause(exc)
        if found is None:
            raise
        cause, hint = found
        raise EdgestyleError(f"cannot write into {out}: {cause}" + (f" ({hint})" if hint else "")) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if created and not any(out.iterdir()):
            out.rmdir()


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory beside ``path``; swap it into place only if the block succeeds."""
    target = Path(path)
    check_parent_exists(target)
    tmp = temp_dir(target.parent, target.name)
    try:
        yield tmp
        if target.exists():
            backup = target.with_name(f".{target.name}.old")
            shutil.rmtree(backup, ignore_errors=True)
            os.replace(target, backup)
            os.replace(tmp, target)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the whole new one, never a part."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))
