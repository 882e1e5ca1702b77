"""Photos in and out for ``edgestyle stylize``: one file, a folder kept name for name, or stdin/stdout.

Each photo is read upright (OpenCV applies the EXIF orientation) and written at that size
without EXIF, so every viewer shows the result the way it showed the input. Files are written
through a temporary name (:mod:`edgestyle.atomic`): an output is whole or absent.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgestyle.atomic import write_bytes_atomic
from edgestyle.errors import EdgestyleError, describe_os_error
from edgestyle.runtime.video_io import IMAGE_SUFFIXES
from edgestyle.stdout import check_stdout, write_stdout

STDIO = "-"
# Leading bytes -> the suffix OpenCV encodes that format with (stdin has no name to go by).
MAGIC = (
    (b"\x89PNG", ".png"),
    (b"\xff\xd8", ".jpg"),
    (b"BM", ".bmp"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
    (b"P6", ".ppm"),
    (b"P5", ".pgm"),
)
ENCODE_PARAMS = {".jpg": (1, 95), ".jpeg": (1, 95), ".webp": (64, 95)}  # IMWRITE_*_QUALITY


def is_image(path: str | os.PathLike) -> bool:
    return str(path) == STDIO or Path(path).suffix.lower() in IMAGE_SUFFIXES


def sniff_suffix(data: bytes) -> str:
    """The image format of ``data`` as a suffix (``.png`` when unknown)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return next((suffix for magic, suffix in MAGIC if data.startswith(magic)), ".png")


def read_photo(source: str | os.PathLike) -> tuple[np.ndarray, str]:
    """(upright BGR image, its format as a suffix) from a file or ``-`` (stdin)."""
    from edgestyle.runtime.decode import decode_picture, read_bytes

    if str(source) == STDIO:
        try:
            data = sys.stdin.buffer.read() if sys.stdin is not None else b""
        except OSError as exc:
            raise EdgestyleError(describe_os_error(exc, "stdin", action="read")) from None
        if not data:
            raise EdgestyleError("no image on stdin")
        return decode_picture(data, "image on stdin"), sniff_suffix(data)
    path = Path(source)
    return decode_picture(read_bytes(path, "image"), f"image {path}"), path.suffix.lower()


def encode(image: np.ndarray, suffix: str, name: str) -> bytes:
    import cv2

    params = list(ENCODE_PARAMS.get(suffix.lower(), ()))
    ok, buffer = cv2.imencode(suffix.lower(), image, params)
    if not ok:
        raise EdgestyleError(f"cannot encode {name} as {suffix}")
    return buffer.tobytes()


def write_photo(target: str | os.PathLike, image: np.ndarray, fmt: str) -> None:
    """Write ``image`` to a file (format from its suffix, atomically) or to stdout (format ``fmt``)."""
    if str(target) == STDIO:
        write_stdout(encode(image, fmt, "stdout"), "the photo")
        return
    path = Path(target)
    write_bytes_atomic(path, encode(image, path.suffix, str(path)))


def check_image_output(target: str | os.PathLike) -> None:
    """Fail before any work when an image output cannot be written as named."""
    from edgestyle.atomic import check_parent_exists

    if str(target) == STDIO:
        check_stdout("the photo")  # closed (>&-): say so before stylizing anything
        return
    path = Path(target)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise EdgestyleError(
            f"unsupported image extension {path.suffix!r} for {path} (use one of {', '.join(IMAGE_SUFFIXES)})"
        )
    check_parent_exists(path)


@dataclass
class FolderPlan:
    """Photo -> output pairs for a folder, and the entries that are not photos (skipped, named)."""

    jobs: list[tuple[Path, Path]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def plan_folder(source: Path, target: Path) -> FolderPlan:
    """Every photo of ``source`` (by suffix, in name order) to the same name in ``target``.

    ``target`` is created if missing (its parent must exist); other files and subfolders are
    listed in ``skipped``.
    """
    from edgestyle.atomic import check_parent_exists

    if target.exists() and not target.is_dir():
        raise EdgestyleError(f"output is a file, not a folder: {target}")
    if target.resolve() == source.resolve():
        raise EdgestyleError(f"output folder is the input folder: {target} (the photos would be overwritten)")
    check_parent_exists(target)
    plan = FolderPlan()
    for entry in sorted(source.iterdir()):
        if entry.is_file() and entry.suffix.lower() in IMAGE_SUFFIXES:
            plan.jobs.append((entry, target / entry.name))
        else:
            plan.skipped.append(entry.name + ("/" if entry.is_dir() else ""))
    if not plan.jobs:
        raise EdgestyleError(f"no images in folder: {source}")
    target.mkdir(exist_ok=True)
    return plan
