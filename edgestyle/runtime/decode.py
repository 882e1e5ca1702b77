"""Decoding pictures that notices damage: a truncated or corrupt file is an error, never half a picture.

``cv2.imread`` of a JPEG cut off mid-copy returns a picture whose bottom is grey, and libjpeg only
prints "Premature end of JPEG file" on stderr. So every picture edgestyle reads goes through here:
the bytes are read once (a FIFO or a folder named like a picture is refused, never opened for a
blocking read), the container is walked to its end marker (JPEG EOI, PNG IEND with every chunk's
CRC, the sizes BMP, PPM and WebP headers promise), and whatever the decoder says on fd 2 while it
runs is collected (:func:`edgestyle.console.decoder_messages`) and turned into one error that names
the file. ``what`` words the errors: ``image``, ``style image``, ``frame``.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
import zlib
from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError, describe_os_error


class DamagedPicture(EdgestyleError):
    """The bytes are not a whole picture: truncated, corrupt, or no picture at all (also what a file
    still being copied looks like, so a live folder waits before it gives up on one)."""


def read_bytes(path: str | os.PathLike, what: str = "image") -> bytes:
    """The whole file, or one error that says which step failed: find, open or read.

    Opened without blocking and checked to be a regular file before anything is read, so a FIFO
    named ``x.jpg`` cannot hang the caller; a symlink loop, a folder or a socket is named as such.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise EdgestyleError(f"{what} not found: {path}") from None
        if exc.errno == errno.ELOOP:
            raise EdgestyleError(f"cannot open {what} {path}: it is a symlink loop") from None
        if exc.errno == errno.ENXIO:  # a socket
            raise EdgestyleError(f"cannot open {what} {path}: it is {not_a_file(path)}") from None
        raise EdgestyleError(describe_os_error(exc, f"{what} {path}", action="open")) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise EdgestyleError(f"cannot read {what} {path}: it is {not_a_file(path, info.st_mode)}")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    except OSError as exc:
        raise EdgestyleError(describe_os_error(exc, f"{what} {path}", action="read")) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def not_a_file(path: str | os.PathLike, mode: int | None = None) -> str:
    """What a directory entry that is no regular file is, in words (for skip warnings and errors)."""
    if mode is None:
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "a symlink loop"
            if exc.errno == errno.ENOENT:
                return "a broken symlink" if os.path.islink(path) else "gone"
            return exc.strerror or str(exc)
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    ]
    return next((word for test, word in kinds if test(mode)), "not a regular file")


def read_picture(path: str | os.PathLike, what: str = "image") -> np.ndarray:
    """A picture file as upright BGR uint8, or one error: not found, cannot open/read/decode."""
    return decode_picture(read_bytes(path, what), f"{what} {path}")


def decode_picture(data: bytes, name: str) -> np.ndarray:
    """Encoded bytes -> upright BGR uint8 (EXIF orientation applied), or ``cannot decode NAME: why``."""
    import cv2

    from edgestyle.console import decoder_messages

    if not data:
        raise DamagedPicture(f"cannot decode {name}: the file is empty")
    problem = damage(data)
    if problem is not None:
        raise DamagedPicture(f"cannot decode {name}: {problem}")
    try:
        with decoder_messages() as said:
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as exc:
        if "CV_IO_MAX_IMAGE_PIXELS" in str(exc):
            raise EdgestyleError(
                f"cannot decode {name}: image too large (its header claims more than the 2^30 pixels "
                "OpenCV decodes)"
            ) from None
        raise DamagedPicture(f"cannot decode {name}: {str(exc).strip().splitlines()[-1]}") from None
    if said:
        raise DamagedPicture(f"cannot decode {name}: damaged (the decoder says: {said[0]})")
    if image is None:
        raise DamagedPicture(f"cannot decode {name}: not a picture OpenCV can decode")
    return image


def damage(data: bytes) -> str | None:
    """Why the bytes are not a whole picture (truncated, bad checksum), or None if they look whole.

    Formats without a rule here (TIFF) are left to the decoder's own complaints.
    """
    if data[:2] == b"\xff\xd8":
        return _jpeg_damage(data)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return _png_damage(data)
    if data[:2] == b"BM" and len(data) >= 6:
        size = struct.unpack("<I", data[2:6])[0]
        return None if len(data) >= size else f"truncated BMP ({len(data)} of {size} bytes)"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        size = struct.unpack("<I", data[4:8])[0] + 8
        return None if len(data) >= size else f"truncated WebP ({len(data)} of {size} bytes)"
    if data[:2] in (b"P5", b"P6"):
        return _pnm_damage(data)
    return None


def _jpeg_damage(data: bytes) -> str | None:
    """Walk the markers to EOI, across each scan's entropy-coded data (where 0xFF is always stuffed)."""
    i, n = 2, len(data)
    while i < n:
        if data[i] != 0xFF:
            return f"corrupt JPEG (no marker at byte {i})"
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            break
        marker = data[i]
        i += 1
        if marker == 0xD9:
            return None  # EOI: whole (anything after it, e.g. a camera's trailer, is ignored)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue  # standalone markers
        if marker == 0x00:
            return f"corrupt JPEG (stray 0xFF at byte {i - 2})"
        if i + 2 > n:
            break
        length = struct.unpack(">H", data[i : i + 2])[0]
        if length < 2:
            return f"corrupt JPEG (segment length {length} at byte {i})"
        i += length
        if marker == 0xDA:  # a scan: skip entropy-coded data to the next real marker
            i = _end_of_scan(data, i)
    return "truncated JPEG (it ends before its end marker)"


def _end_of_scan(data: bytes, i: int) -> int:
    n = len(data)
    while True:
        i = data.find(b"\xff", i)
        if i < 0 or i + 1 >= n:
            return n
        following = data[i + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            i += 1 if following == 0xFF else 2
            continue
        return i


def _png_damage(data: bytes) -> str | None:
    """Every chunk whole with a matching CRC, IDAT inflating completely, and IEND at the end."""
    i, n = 8, len(data)
    inflate = zlib.decompressobj()
    while i + 8 <= n:
        length = struct.unpack(">I", data[i : i + 4])[0]
        kind = data[i + 4 : i + 8]
        end = i + 8 + length + 4
        if end > n:
            break
        body = data[i + 8 : i + 8 + length]
        if zlib.crc32(kind + body) & 0xFFFFFFFF != struct.unpack(">I", data[end - 4 : end])[0]:
            return f"corrupt PNG (bad checksum in its {kind.decode(errors='replace')} chunk)"
        if kind == b"IDAT":
            try:
                while body:  # inflate in bounded steps: only whether it ends cleanly matters here
                    inflate.decompress(body, 1 << 20)
                    body = inflate.unconsumed_tail
            except zlib.error:
                return "corrupt PNG (its pixel data does not inflate)"
        if kind == b"IEND":
            return None if inflate.eof else "truncated PNG (its pixel data stops early)"
        i = end
    return "truncated PNG (it ends before its IEND chunk)"


def _pnm_damage(data: bytes) -> str | None:
    """P5/P6: the header's width x height x channels x bytes per sample must all be there."""
    fields: list[bytes] = []
    i = 2
    while len(fields) < 3 and i < len(data):
        if data[i : i + 1].isspace():
            i += 1
        elif data[i : i + 1] == b"#":
            i = data.find(b"\n", i) + 1 or len(data)
        else:
            j = i
            while j < len(data) and not data[j : j + 1].isspace():
                j += 1
            fields.append(data[i:j])
            i = j
    try:
        width, height, top = (int(f) for f in fields)
    except ValueError:
        return "corrupt PNM header"
    need = width * height * (3 if data[:2] == b"P6" else 1) * (2 if top > 255 else 1)
    have = len(data) - (i + 1)
    return None if have >= need else f"truncated PNM ({have} of {need} bytes of pixels)"
