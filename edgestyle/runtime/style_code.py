"""Any picture as a style: a CNN style code from Magenta's style predictor, on the board.

Models conditioned on style codes (their contract's ``style.code``) take the 100-value bottleneck
of the style predictor (a MobileNetV2, ``models/style_predict/``) instead of a learned vector per
name. The predictor runs once per style change, never per frame. Training computes its codes
with this same class, so a board reproduces exactly the codes the generator learnt from.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError

PREDICTOR_FILE = "style_predict/style_predict_quantized_256.tflite"
MIN_SIDE = 32  # a style picture smaller than this has no strokes to describe
MAX_PIXELS = 50_000_000  # larger pictures are refused rather than decoded into gigabytes


def find_predictor(name: str | None = None) -> Path:
    """The style predictor shipped in ``models/`` (or the file ``name`` there / at that path)."""
    from edgestyle.runtime.models import models_dirs

    if name and Path(name).is_file():
        return Path(name)
    wanted = [PREDICTOR_FILE] if not name else [f"style_predict/{Path(name).name}", PREDICTOR_FILE]
    for folder in models_dirs():
        for relative in wanted:
            if (folder / relative).is_file():
                return folder / relative
    raise EdgestyleError(
        f"the style predictor models/{PREDICTOR_FILE} is not installed; it turns --style-image pictures "
        "into style codes (reinstall edgestyle, or copy the Magenta style_predict tflite there)"
    )


def file_sha256(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_style_picture(path: str | os.PathLike) -> np.ndarray:
    """A style picture as RGB uint8, or one ``error:`` line: missing, unreadable, tiny or huge."""
    import cv2

    from edgestyle.runtime.video_io import IMAGE_SUFFIXES

    path = Path(path)
    if not path.is_file():
        raise EdgestyleError(f"style image not found: {path}")
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise EdgestyleError(f"style image {path}: not a picture ({path.suffix or 'no suffix'})")
    _refuse_huge(path, _pixels(path))  # from the header, before decoding gigabytes
    try:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    except cv2.error:
        bgr = None
    if bgr is None:
        raise EdgestyleError(f"style image {path}: cannot decode it as a picture")
    _refuse_huge(path, bgr.shape[0] * bgr.shape[1])
    if min(bgr.shape[:2]) < MIN_SIDE:
        raise EdgestyleError(
            f"style image {path}: {bgr.shape[1]}x{bgr.shape[0]} is too small (at least {MIN_SIDE} px a side)"
        )
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _refuse_huge(path: Path, pixels: int) -> None:
    if pixels > MAX_PIXELS:
        raise EdgestyleError(
            f"style image {path}: {pixels / 1e6:.0f} MP is too large (at most {MAX_PIXELS // 1_000_000} MP)"
        )


def _pixels(path: Path) -> int:
    """Width x height from a PNG or JPEG header without decoding (0 when unknown)."""
    import struct

    with open(path, "rb") as f:
        head = f.read(64 * 1024)
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


class StylePredictor:
    """RGB picture -> style code (float32 [D]): the centre square, resized to the predictor's input."""

    def __init__(self, path: str | os.PathLike | None = None, threads: int | None = None):
        from edgestyle.runtime.backends.tflite import TFLiteModel

        self.path = find_predictor(str(path) if path else None)
        self.model = TFLiteModel(self.path, threads=threads)
        if len(self.model.inputs) != 1 or len(self.model.outputs) != 1:
            raise EdgestyleError(f"{self.path}: not a style predictor (one picture in, one code out)")
        (self._in,) = self.model.inputs.values()
        (self._out,) = self.model.outputs.values()
        self.size = int(self._in.shape[1])

    @property
    def dim(self) -> int:
        return int(np.prod(self._out.shape))

    def code(self, rgb: np.ndarray) -> np.ndarray:
        from edgestyle.runtime.backends.base import frame_to_tensor, from_tensor
        from edgestyle.teachers import center_square, resize_rgb

        square = resize_rgb(center_square(rgb), self.size, self.size)
        self.model.set(self._in.key, frame_to_tensor(square, self._in)[None])
        self.model.invoke()
        return from_tensor(self.model.get(self._out.key), self._out).astype(np.float32).ravel()

    def code_of_file(self, path: str | os.PathLike) -> np.ndarray:
        return self.code(read_style_picture(path))
