"""Teacher outputs kept on disk, so training's many passes over the same frames compute each once."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from edgestyle.teachers.base import Teacher, frame_hash


class CachedTeacher(Teacher):
    """A teacher whose outputs are kept as PNGs under ``cache_dir/<teacher key>/<frame hash>.png``.

    Teachers such as the Magenta transfer network cost ~250 ms a frame on a CPU, and training
    visits the same frames many times, so each output is computed once per (frame, teacher).
    """

    def __init__(self, teacher: Teacher, cache_dir: str | os.PathLike):
        super().__init__(teacher.name, teacher.key, teacher._fn, teacher.info, teacher.style_features)
        self.directory = Path(cache_dir) / teacher.key
        self.directory.mkdir(parents=True, exist_ok=True)
        self.hits = 0
        self.misses = 0

    def __call__(self, frame_rgb: np.ndarray) -> np.ndarray:
        import cv2

        from edgestyle.atomic import atomic_path

        file = self.directory / f"{frame_hash(frame_rgb)}.png"
        if file.is_file():
            bgr = cv2.imread(str(file), cv2.IMREAD_COLOR)
            if bgr is not None and bgr.shape == frame_rgb.shape:
                self.hits += 1
                return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        out = super().__call__(frame_rgb)
        self.misses += 1
        with atomic_path(file) as tmp:
            cv2.imwrite(str(tmp), cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
        return out
