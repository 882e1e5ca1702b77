"""A capture time drawn into a frame as black and white blocks, and read back at the far end.

Glass-to-glass frame age (camera to a browser) cannot be measured from inside the pipeline: the
JPEG encoder, the socket and the viewer come after it. ``test://?stamp=1`` draws the capture time
(``time.monotonic()`` in ms, which every process on the machine shares) into the top-left corner of
each frame, and a viewer that decodes the picture it received reads it back (``benchmarks/
load_preview.py``). The stylized half of a frame does not keep the blocks, so a run shows
``--side-by-side`` and the stamp is read from the input half.

Layout: 32 blocks of ``block`` x ``block`` pixels in a row, white for 1: 24 bits of the time in ms
(it wraps after 4.6 hours; :func:`age_ms` takes that into account), then an 8-bit check so that
a picture without a stamp, or one mangled by JPEG, reads as None rather than a wrong time.
"""

from __future__ import annotations

import numpy as np

BLOCK = 16  # pixels per bit: survives JPEG at quality 80 and a 2x reduced decode
BITS = 24
WRAP = 1 << BITS


def _check(value: int) -> int:
    return (value ^ (value >> 8) ^ (value >> 16) ^ 0xA5) & 0xFF


def _bits(value: int) -> list[int]:
    word = (value % WRAP) | (_check(value % WRAP) << BITS)
    return [(word >> i) & 1 for i in range(BITS + 8)]


def draw_stamp(frame: np.ndarray, ms: int, block: int = BLOCK) -> np.ndarray:
    """Draw ``ms`` into the top-left ``32 * block`` x ``block`` pixels of ``frame`` (in place; returned)."""
    block = min(block, frame.shape[1] // (BITS + 8))
    for i, bit in enumerate(_bits(int(ms))):
        frame[:block, i * block : (i + 1) * block] = 255 if bit else 0
    return frame


def read_stamp(picture: np.ndarray, block: int = BLOCK) -> int | None:
    """The ms value drawn by :func:`draw_stamp` (``block`` as it is in ``picture``, e.g. halved by a
    reduced decode), or None when the check does not match."""
    grey = picture if picture.ndim == 2 else picture.mean(axis=2)
    if grey.shape[1] < (BITS + 8) * block or grey.shape[0] < block:
        return None
    lo, hi = block // 4, block - block // 4  # the middle of each block, away from JPEG's edges
    word = 0
    for i in range(BITS + 8):
        if float(grey[lo:hi, i * block + lo : i * block + hi].mean()) > 127:
            word |= 1 << i
    value = word & (WRAP - 1)
    return value if word >> BITS == _check(value) else None


def age_ms(now_ms: int, stamp_ms: int) -> int:
    """How long ago ``stamp_ms`` was, across the 24-bit wrap."""
    return (int(now_ms) - int(stamp_ms)) % WRAP
