"""Accepted ranges of every size, count and weight option, derived from what this machine can hold.

A typo such as ``--size 20000x20000`` or ``--frames -1`` must be refused before any work starts,
with the range that would have been accepted, instead of allocating gigabytes or running
forever. The frame-size rule is the same everywhere: each side between a minimum and
:data:`MAX_SIDE`, and ``width x height x bytes-per-pixel`` within half of the memory available
now (``MemAvailable``, or the cgroup's limit when lower), where bytes-per-pixel is what the command
keeps per pixel of one frame.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from edgestyle.errors import EdgestyleError

MAX_SIDE = 16384  # codecs and displays stop well before this (H.264 level 6.2: 8192x4320)
MEMORY_SHARE = 0.5  # what one job may plan to use of the memory available now
# What a live pipeline keeps per pixel of a captured frame: about 8 BGR frames in flight (capture,
# two one-slot queues, composition, the sinks) at 3 bytes each.
LIVE_BYTES_PER_PIXEL = 24
SIZE_RULE = "each side up to 16384, and width x height x {bpp} bytes within half the memory available now"


def available_memory() -> int:
    """Bytes available to this process now: MemAvailable, capped by a cgroup memory limit."""
    available = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            available = 1 << 30
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            limit = int(Path(limit_file).read_text().strip())
            usage = int(Path(usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        if limit < 1 << 60:
            available = min(available, max(limit - usage, 0))
    return available


def max_pixels(bytes_per_pixel: float) -> int:
    """The largest frame (in pixels) a job keeping ``bytes_per_pixel`` per pixel may plan for."""
    return int(available_memory() * MEMORY_SHARE / bytes_per_pixel)


def check_frame_size(
    size: tuple[int, int], what: str, bytes_per_pixel: float, min_side: int = 1
) -> tuple[int, int]:
    """``size`` (width, height) if the machine can hold it, else one error with the accepted range."""
    width, height = size
    most = max_pixels(bytes_per_pixel)
    if min(width, height) < min_side or max(width, height) > MAX_SIDE or width * height > most:
        side = int(math.sqrt(max(most, 1)))
        square = min(side, MAX_SIDE)
        raise EdgestyleError(
            f"{what} {width}x{height} is outside what this machine can take: each side {min_side} to "
            f"{MAX_SIDE}, and at most {most / 1e6:.1f} megapixels (about {square}x{square}; "
            f"{bytes_per_pixel:g} bytes per pixel within half of the "
            f"{available_memory() / 2**30:.1f} GiB available)"
        )
    return size


def check_number(
    value: float | int | None,
    what: str,
    low: float,
    high: float,
    *,
    low_inclusive: bool = True,
    note: str = "",
) -> float | int | None:
    """``value`` if finite and within [low, high] (or (low, high]); None passes (the option was not given)."""
    if value is None:
        return None
    inside = (value >= low if low_inclusive else value > low) and value <= high
    if not (isinstance(value, int) or math.isfinite(value)) or not inside:
        bound = f"from {_num(low)} to" if low_inclusive else f"more than {_num(low)} and at most"
        raise EdgestyleError(f"{what} must be a number {bound} {_num(high)}{note}, got {_num(value)}")
    return value


def _num(value: float) -> str:
    """2147483647 and 0.5 as written, not 2.14748e+09."""
    if isinstance(value, int) or (math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15):
        return str(int(value))
    return f"{value:g}"


def max_threads() -> int:
    """Interpreter threads: more than 4 per core only slows a model down."""
    return 4 * (os.cpu_count() or 1)


def check_threads(value: int | None, what: str = "--threads") -> int | None:
    return check_number(value, what, 1, max_threads(), note=f" (4 per CPU core; {os.cpu_count()} cores here)")
