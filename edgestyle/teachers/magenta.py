"""Magenta arbitrary stylization (Ghiasi et al.): ``magenta:DIR@STYLE.jpg`` or a bare ``DIR``
holding ``style_predict*.tflite`` + ``style_transfer*.tflite`` (e.g. ``../shared/anchors``).

The predictor runs once on the style picture, the transfer network per frame. The style picture
is ``style_image=`` or ``DIR@IMAGE``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.images import read_style_picture, resize_rgb
from edgestyle.teachers.base import Teacher, TeacherFn, hash_parts, hash_path, is_image
from edgestyle.teachers.spec import TeacherSpec


def magenta_files(directory: Path) -> tuple[Path, Path]:
    """The predictor and the transfer network of a Magenta folder (the fp16 transfer first)."""
    predictors = sorted(directory.glob("style_predict*.tflite"))
    transfers = sorted(directory.glob("style_transfer*.tflite"), key=lambda p: ("f16" not in p.name, p.name))
    if not predictors or not transfers:
        raise EdgestyleError(
            f"{directory}: no style_predict*.tflite + style_transfer*.tflite pair (Magenta layout)"
        )
    return predictors[0], transfers[0]


def magenta_filter(predictor: Path, transfer: Path, style_rgb: np.ndarray) -> tuple[TeacherFn, np.ndarray]:
    """The per-frame transfer with the style picture's bottleneck set once, and that bottleneck."""
    from edgestyle.runtime.interpreter import TFLiteModel, frame_to_tensor, tensor_to_frame, to_tensor
    from edgestyle.runtime.style_code import StylePredictor

    bottleneck = StylePredictor(predictor).code(style_rgb)

    net = TFLiteModel(transfer)
    image_keys = [k for k, t in net.inputs.items() if is_image(t.shape)]
    vector_keys = [k for k in net.inputs if k not in image_keys]
    if len(image_keys) != 1 or len(vector_keys) != 1:
        raise EdgestyleError(f"{transfer}: expected one image input and one style bottleneck input")
    src, vec = net.inputs[image_keys[0]], net.inputs[vector_keys[0]]
    (dst,) = net.outputs.values()
    net.set(vec.key, to_tensor(bottleneck.reshape(vec.shape), vec))

    def run(rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        net.set(src.key, frame_to_tensor(resize_rgb(rgb, src.shape[2], src.shape[1]), src)[None])
        net.invoke()
        return resize_rgb(tensor_to_frame(net.get(dst.key)[0], dst), w, h)

    return run, bottleneck.ravel()


def build(spec: TeacherSpec) -> Teacher:
    path = spec.path
    predictor, transfer = magenta_files(path)
    if spec.style_image is None:
        raise EdgestyleError(
            f"the Magenta teacher {path} needs a style image (--style-image or {path}@IMAGE)"
        )
    style_rgb = read_style_picture(spec.style_image)
    key = hash_parts(b"magenta", hash_path(predictor), hash_path(transfer), style_rgb.tobytes())
    name = f"magenta-{spec.style_image.stem}"
    info = {
        "kind": "magenta",
        "name": name,
        "predictor": predictor.name,
        "transfer": transfer.name,
        "style_image": spec.style_image.name,
        "key": key,
    }
    fn, features = magenta_filter(predictor, transfer, style_rgb)
    return Teacher(name, key, fn, info, style_features=features)
