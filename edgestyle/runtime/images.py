"""Reading and shaping RGB pictures: training photos, style pictures, predictor and teacher inputs.

The lowest image layer: teachers, training and the style predictor all build on it, so none of
them has to import another for a resize. Two readers with different promises:

* :func:`read_rgb` for training photos and frames: missing or undecodable is an error, any size goes.
* :func:`read_style_picture` for style pictures everywhere (``--style-image``, ``--style-dir``,
  perceptual training, the colour-transfer and Magenta teachers): also refuses what is not a
  picture file, tiny pictures with no strokes to describe, and huge ones before decoding them.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.video_io import IMAGE_SUFFIXES

MIN_SIDE = 32  # a style picture smaller than this has no strokes to describe
MAX_PIXELS = 50_000_000  # larger pictures are refused rather than decoded into gigabytes


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """An image file as RGB uint8, or one clear error line (missing, unreadable, damaged)."""
    import cv2

    from edgestyle.runtime.decode import read_picture

    return cv2.cvtColor(read_picture(path, "image"), cv2.COLOR_BGR2RGB)


def read_style_picture(path: str | os.PathLike) -> np.ndarray:
    """A style picture as RGB uint8, or one ``error:`` line: missing, unreadable, damaged, tiny or huge."""
    import cv2

    from edgestyle.runtime.decode import decode_picture, read_bytes

    path = Path(path)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise EdgestyleError(f"style image {path}: not a picture ({path.suffix or 'no suffix'})")
    data = read_bytes(path, "style image")
    _refuse_huge(path, _header_pixels(data))  # from the header, before decoding gigabytes
    bgr = decode_picture(data, f"style image {path}")
    _refuse_huge(path, bgr.shape[0] * bgr.shape[1])
    if min(bgr.shape[:2]) < MIN_SIDE:
        raise EdgestyleError(
            f"style image {path}: {bgr.shape[1]}x{bgr.shape[0]} is too small (at least {MIN_SIDE} px a side)"
        )
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def resize_rgb(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """``rgb`` at ``width`` x ``height``: area averaging when shrinking (no aliasing), bilinear otherwise."""
    import cv2

    if rgb.shape[1] == width and rgb.shape[0] == height:
        return rgb
    shrinking = width * height < rgb.shape[0] * rgb.shape[1]
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def center_square(rgb: np.ndarray) -> np.ndarray:
    """The largest centred square: what a square-input network sees of a picture without distortion."""
    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return rgb[top : top + side, left : left + side]


def _refuse_huge(path: Path, pixels: int) -> None:
    if pixels > MAX_PIXELS:
        raise EdgestyleError(
            f"style image {path}: {pixels / 1e6:.0f} MP is too large (at most {MAX_PIXELS // 1_000_000} MP)"
        )


def _header_pixels(data: bytes) -> int:
    """Width x height from a PNG or JPEG header without decoding (0 when unknown)."""
    head = data[: 64 * 1024]
    if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) >= 24:
        width, height = struct.unpack(">II", head[16:24])
        return width * height
    if head[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(head):
            if head[i] != 0xFF:
                return 0
            marker, length = head[i + 1], struct.unpack(">H", head[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", head[i + 5 : i + 9])
                return width * height
            i += 2 + length
    return 0
