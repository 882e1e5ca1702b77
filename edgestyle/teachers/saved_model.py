"""A SavedModel folder (or ``savedmodel:DIR``): its ``serving_default`` signature, image to image.

The only teacher that needs TensorFlow; it imports it when built, so the rest run on a board.
Float frames are taken as RGB in [0, 1]; append ``?range=-1,1`` for models that want [-1, 1].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.images import resize_rgb
from edgestyle.teachers.base import Teacher, TeacherFn, model_teacher
from edgestyle.teachers.spec import TeacherSpec


def saved_model_filter(path: Path, value_range: tuple[float, float]) -> TeacherFn:
    try:
        import tensorflow as tf
    except ImportError:
        raise EdgestyleError(
            "a SavedModel teacher needs TensorFlow: pip install 'edgestyle[train]'"
        ) from None
    try:
        fn = tf.saved_model.load(str(path)).signatures["serving_default"]
    except (OSError, KeyError, ValueError) as exc:
        raise EdgestyleError(
            f"{path}: cannot load SavedModel serving_default ({str(exc).splitlines()[0]})"
        ) from None
    specs = fn.structured_input_signature[1]
    images = [k for k, s in specs.items() if s.shape.rank == 4 and s.shape[-1] == 3]
    if len(images) != 1 or len(specs) != 1:
        raise EdgestyleError(f"{path}: not an image-to-image SavedModel (inputs {list(specs)})")
    key, spec = images[0], specs[images[0]]
    lo, hi = value_range

    def run(rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        size_h, size_w = spec.shape[1] or h, spec.shape[2] or w
        x = resize_rgb(rgb, size_w, size_h)[None]
        x = x if spec.dtype == tf.uint8 else (lo + x.astype(np.float32) * ((hi - lo) / 255.0))
        out = fn(**{key: tf.constant(x, dtype=spec.dtype)})
        y = max(
            (v for v in out.values() if v.shape.rank == 4 and v.shape[-1] == 3),
            key=lambda v: v.shape[1] * v.shape[2],
        )
        y = y.numpy()[0]
        if y.dtype != np.uint8:
            y = np.clip(np.round((y.astype(np.float32) - lo) * (255.0 / (hi - lo))), 0, 255).astype(np.uint8)
        return resize_rgb(y, w, h)

    return run


def build(spec: TeacherSpec) -> Teacher:
    return model_teacher(spec, "saved_model", spec.path.name, saved_model_filter)
