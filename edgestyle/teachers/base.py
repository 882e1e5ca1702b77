"""What every teacher kind shares: the :class:`Teacher` callable, its parsed spec, content hashes.

Cache keys are content hashes (spec, model files, style picture), so a retrained teacher or a new
style picture never hits an old cache entry, and the same teacher on another machine does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edgestyle.teachers.spec import TeacherSpec

TeacherFn = Callable[[np.ndarray], np.ndarray]


class Teacher:
    """A named per-frame stylizer with a stable cache key (spec + model file hashes + style image hash)."""

    def __init__(self, name: str, key: str, fn: TeacherFn, info: dict | None = None, style_features=None):
        self.name = name
        self.key = key
        self._fn = fn
        self.info = info or {"name": name, "key": key}
        # CNN features of the teacher's style image when it has one (Magenta's 100-d bottleneck):
        # the trainer initialises this style's vector from them.
        self.style_features = style_features

    def __call__(self, frame_rgb: np.ndarray) -> np.ndarray:
        if frame_rgb.dtype != np.uint8 or frame_rgb.ndim != 3 or frame_rgb.shape[2] != 3:
            raise ValueError(
                f"teacher {self.name} takes HxWx3 uint8 RGB, got {frame_rgb.dtype} {frame_rgb.shape}"
            )
        out = self._fn(np.ascontiguousarray(frame_rgb))
        if out.shape != frame_rgb.shape or out.dtype != np.uint8:
            raise RuntimeError(f"teacher {self.name} returned {out.dtype} {out.shape} for {frame_rgb.shape}")
        return out

    def __repr__(self) -> str:
        return f"Teacher({self.name!r}, key={self.key!r})"


def hash_parts(*parts: bytes) -> str:
    """A short key over several byte strings (each hashed first, so their boundaries count)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def hash_path(path: Path) -> bytes:
    """Content hash of a file or a directory tree (so a retrained teacher never hits an old cache)."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).digest()
    digest = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(f.relative_to(path)).encode())
        digest.update(hashlib.sha256(f.read_bytes()).digest())
    return digest.digest()


def frame_hash(frame: np.ndarray) -> str:
    """Content hash of a frame (shape included), the per-frame half of a teacher cache key."""
    return hash_parts(str(frame.shape).encode(), np.ascontiguousarray(frame).tobytes())


def model_teacher(
    spec: TeacherSpec, kind: str, name: str, make_fn: Callable[[Path, tuple[float, float]], TeacherFn]
) -> Teacher:
    """A teacher that is one model file or folder run at the spec's value range (.tflite, SavedModel):
    keyed by the model's content and the range, since either changes every output."""
    key = hash_parts(kind.encode(), hash_path(spec.path), spec.range_bytes())
    info = {"kind": kind, "name": name, "range": list(spec.value_range), "key": key}
    return Teacher(name, key, make_fn(spec.path, spec.value_range), info)


def is_image(shape) -> bool:
    """A batched RGB image tensor shape [N, H, W, 3] (the model teachers' inputs and outputs)."""
    return len(shape) == 4 and shape[-1] == 3
