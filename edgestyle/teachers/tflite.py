"""``MODEL.tflite`` (or ``tflite:FILE``): any image-to-image LiteRT model, float or integer I/O.

Float frames are taken as RGB in [0, 1]; append ``?range=-1,1`` for models that want [-1, 1].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.images import resize_rgb
from edgestyle.teachers.base import Teacher, TeacherFn, is_image, model_teacher
from edgestyle.teachers.spec import TeacherSpec


def tflite_filter(path: Path, value_range: tuple[float, float]) -> TeacherFn:
    from edgestyle.runtime.interpreter import TFLiteModel, frame_to_tensor, tensor_to_frame

    model = TFLiteModel(path)
    images = [k for k, t in model.inputs.items() if is_image(t.shape)]
    others = [k for k in model.inputs if k not in images]
    outs = sorted(
        (k for k, t in model.outputs.items() if is_image(t.shape)),
        key=lambda k: -np.prod(model.outputs[k].shape),
    )
    if len(images) != 1 or not outs:
        raise EdgestyleError(f"{path}: not an image-to-image model (inputs {list(model.inputs)})")
    if others:
        raise EdgestyleError(
            f"{path}: also needs input(s) {others}; for a style-vector model give the directory holding "
            "its style_predict*.tflite and style_transfer*.tflite"
        )
    src, dst = model.inputs[images[0]], model.outputs[outs[0]]

    def run(rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        model.set(
            src.key, frame_to_tensor(resize_rgb(rgb, src.shape[2], src.shape[1]), src, value_range)[None]
        )
        model.invoke()
        return resize_rgb(tensor_to_frame(model.get(dst.key)[0], dst, value_range), w, h)

    return run


def build(spec: TeacherSpec) -> Teacher:
    return model_teacher(spec, "tflite", spec.path.stem, tflite_filter)
