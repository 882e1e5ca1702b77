"""``colour-transfer@STYLE.jpg``: Reinhard et al. (2001) colour transfer per frame, a baseline."""

from __future__ import annotations

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.images import read_style_picture
from edgestyle.teachers.base import Teacher, TeacherFn, hash_parts
from edgestyle.teachers.spec import TeacherSpec

NAME = "colour-transfer"


def colour_transfer_filter(style_rgb: np.ndarray) -> TeacherFn:
    """Each Lab channel of the frame moved to the style picture's mean and standard deviation.

    The plain per-frame baseline a stylization should beat on look (it knows the palette, not
    strokes) and on stability (it follows every frame's own statistics, so it flickers when they
    change)."""
    import cv2

    style = cv2.cvtColor(style_rgb, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    mean, std = style.mean(axis=0), style.std(axis=0)

    def run(rgb: np.ndarray) -> np.ndarray:
        lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
        flat = lab.reshape(-1, 3)
        moved = (lab - flat.mean(axis=0)) * (std / (flat.std(axis=0) + 1e-6)) + mean
        return cv2.cvtColor(np.clip(moved, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)

    return run


def build(spec: TeacherSpec) -> Teacher:
    if spec.style_image is None:
        raise EdgestyleError(f"the {NAME} baseline needs a style image ({NAME}@IMAGE)")
    style_rgb = read_style_picture(spec.style_image)
    key = hash_parts(b"builtin", NAME.encode(), style_rgb.tobytes(), b"v1")
    info = {"kind": "opencv", "name": NAME, "style_image": spec.style_image.name}
    return Teacher(f"{NAME}-{spec.style_image.stem}", key, colour_transfer_filter(style_rgb), info)
