"""Per-frame teachers: the stylizations a recurrent student is distilled from (and evaluated against).

A teacher maps one RGB uint8 frame (HxWx3) to a stylized RGB uint8 frame of the same size. It has
no memory of earlier frames, so it flickers; the student learns its look plus temporal stability.
Specs understood by :func:`load_teacher`:

* ``cartoon``: bilateral smoothing + colour quantization + adaptive-threshold edges (OpenCV).
* ``stylization``: ``cv2.stylization`` (edge-preserving painterly filter).
* ``colour-transfer@STYLE.jpg``: Reinhard colour transfer to a style picture per frame (a baseline).
* ``PATH.tflite``: any image-to-image LiteRT model, float or integer I/O. Float frames are taken as
  RGB in [0, 1]; append ``?range=-1,1`` for models that want [-1, 1].
* ``PATH`` (a SavedModel directory): its ``serving_default`` signature, same rules.
* ``magenta:DIR`` or a ``DIR`` holding ``style_predict*.tflite`` + ``style_transfer*.tflite`` (the
  Magenta arbitrary-stylization layout, e.g. ``../shared/anchors``): the predictor runs once on the
  style image, the transfer network per frame. The style image is ``style_image=`` or ``DIR@IMAGE``.

Only the SavedModel teacher imports TensorFlow (lazily); the rest run on a board's runtime.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError

BUILTINS = ("cartoon", "stylization")
COLOUR_TRANSFER = "colour-transfer"  # colour-transfer@STYLE.jpg: Reinhard et al. per frame, a baseline
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


# -- hashing -------------------------------------------------------------------------------------


def _hash_bytes(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def _hash_path(path: Path) -> bytes:
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
    return _hash_bytes(str(frame.shape).encode(), np.ascontiguousarray(frame).tobytes())


# -- images --------------------------------------------------------------------------------------


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """An image file as RGB uint8, or one clear error line."""
    import cv2

    from edgestyle.runtime.decode import read_picture

    return cv2.cvtColor(read_picture(path, "image"), cv2.COLOR_BGR2RGB)


def resize_rgb(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    import cv2

    if rgb.shape[1] == width and rgb.shape[0] == height:
        return rgb
    shrinking = width * height < rgb.shape[0] * rgb.shape[1]
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def center_square(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return rgb[top : top + side, left : left + side]


# -- built-in OpenCV teachers --------------------------------------------------------------------


def cartoon_filter(rgb: np.ndarray, levels: int = 8) -> np.ndarray:
    """Flat colour regions with dark outlines: bilateral smoothing, colour quantization, edges."""
    import cv2

    h, w = rgb.shape[:2]
    small = cv2.pyrDown(rgb) if min(h, w) >= 64 else rgb.copy()
    for _ in range(4):
        small = cv2.bilateralFilter(small, 7, 50, 5)
    smooth = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    step = 256 // levels
    flat = (smooth // step) * step + step // 2
    gray = cv2.medianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), 7)
    block = max(3, (min(h, w) // 24) | 1)
    edges = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 7)
    return (flat.astype(np.uint16) * (edges[..., None] // 255)).astype(np.uint8)


def colour_transfer_filter(style_rgb: np.ndarray) -> TeacherFn:
    """Reinhard et al. (2001) colour transfer per frame: each Lab channel of the frame moved to the
    style picture's mean and standard deviation. The plain per-frame baseline a stylization should
    beat on look (it knows the palette, not strokes) and on stability (it follows every frame's own
    statistics, so it flickers when they change)."""
    import cv2

    style = cv2.cvtColor(style_rgb, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    mean, std = style.mean(axis=0), style.std(axis=0)

    def run(rgb: np.ndarray) -> np.ndarray:
        lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
        flat = lab.reshape(-1, 3)
        moved = (lab - flat.mean(axis=0)) * (std / (flat.std(axis=0) + 1e-6)) + mean
        return cv2.cvtColor(np.clip(moved, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)

    return run


def stylization_filter(rgb: np.ndarray) -> np.ndarray:
    import cv2

    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    return cv2.cvtColor(cv2.stylization(bgr, sigma_s=60, sigma_r=0.45), cv2.COLOR_BGR2RGB)


# -- model teachers ------------------------------------------------------------------------------


def _is_image(shape) -> bool:
    return len(shape) == 4 and shape[-1] == 3


def _tflite_teacher(path: Path, value_range: tuple[float, float]) -> TeacherFn:
    from edgestyle.runtime.interpreter import TFLiteModel, frame_to_tensor, tensor_to_frame

    model = TFLiteModel(path)
    images = [k for k, t in model.inputs.items() if _is_image(t.shape)]
    others = [k for k in model.inputs if k not in images]
    outs = sorted(
        (k for k, t in model.outputs.items() if _is_image(t.shape)),
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
        model.set(src.key, frame_to_tensor(resize_rgb(rgb, src.shape[2], src.shape[1]), src, value_range)[None])
        model.invoke()
        return resize_rgb(tensor_to_frame(model.get(dst.key)[0], dst, value_range), w, h)

    return run


def _magenta_files(directory: Path) -> tuple[Path, Path]:
    predictors = sorted(directory.glob("style_predict*.tflite"))
    transfers = sorted(directory.glob("style_transfer*.tflite"), key=lambda p: ("f16" not in p.name, p.name))
    if not predictors or not transfers:
        raise EdgestyleError(
            f"{directory}: no style_predict*.tflite + style_transfer*.tflite pair (Magenta layout)"
        )
    return predictors[0], transfers[0]


def _magenta_teacher(predictor: Path, transfer: Path, style_rgb: np.ndarray) -> tuple[TeacherFn, np.ndarray]:
    """Ghiasi et al. arbitrary stylization: bottleneck from the style image once, transfer per frame."""
    from edgestyle.runtime.interpreter import TFLiteModel, frame_to_tensor, tensor_to_frame, to_tensor
    from edgestyle.runtime.style_code import StylePredictor

    bottleneck = StylePredictor(predictor).code(style_rgb)

    net = TFLiteModel(transfer)
    image_keys = [k for k, t in net.inputs.items() if _is_image(t.shape)]
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


def _saved_model_teacher(path: Path, value_range: tuple[float, float]) -> TeacherFn:
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


# -- spec parsing --------------------------------------------------------------------------------


def split_spec(spec: str) -> tuple[str, str | None, tuple[float, float]]:
    """``[magenta:]PATH[@STYLE_IMAGE][?range=LO,HI]`` -> (path part, style image, value range)."""
    value_range = (0.0, 1.0)
    if "?range=" in spec:
        spec, text = spec.split("?range=", 1)
        try:
            lo, hi = (float(v) for v in text.split(","))
        except ValueError:
            raise EdgestyleError(f"bad teacher range {text!r}; expected e.g. ?range=-1,1") from None
        value_range = (lo, hi)
    style = None
    if "@" in spec:
        spec, style = spec.rsplit("@", 1)
    return spec, style, value_range


def load_teacher(spec: str, style_image: str | os.PathLike | None = None) -> Teacher:
    """Build a teacher from a spec (see the module docstring); bad specs raise one clear line."""
    path_text, style_in_spec, value_range = split_spec(str(spec).strip())
    style_path = Path(style_image) if style_image else (Path(style_in_spec) if style_in_spec else None)
    if path_text in BUILTINS:
        fn = cartoon_filter if path_text == "cartoon" else stylization_filter
        return Teacher(
            path_text,
            _hash_bytes(b"builtin", path_text.encode(), b"v1"),
            fn,
            {"kind": "opencv", "name": path_text},
        )

    if path_text == COLOUR_TRANSFER:
        if style_path is None:
            raise EdgestyleError(f"the {COLOUR_TRANSFER} baseline needs a style image ({COLOUR_TRANSFER}@IMAGE)")
        style_rgb = read_rgb(style_path)
        key = _hash_bytes(b"builtin", COLOUR_TRANSFER.encode(), style_rgb.tobytes(), b"v1")
        info = {"kind": "opencv", "name": COLOUR_TRANSFER, "style_image": style_path.name}
        return Teacher(f"{COLOUR_TRANSFER}-{style_path.stem}", key, colour_transfer_filter(style_rgb), info)

    magenta = path_text.startswith("magenta:")
    path = Path(path_text.removeprefix("magenta:"))
    if not path.exists():
        raise EdgestyleError(
            f"unknown teacher {spec!r}: not {', '.join(BUILTINS)} or {COLOUR_TRANSFER}@IMAGE, "
            f"and no file or directory {str(path)!r}"
        )
    range_bytes = repr(value_range).encode()
    if path.is_dir() and (magenta or not (path / "saved_model.pb").is_file()):
        predictor, transfer = _magenta_files(path)
        if style_path is None:
            raise EdgestyleError(
                f"the Magenta teacher {path} needs a style image (--style-image or {path}@IMAGE)"
            )
        style_rgb = read_rgb(style_path)
        key = _hash_bytes(b"magenta", _hash_path(predictor), _hash_path(transfer), style_rgb.tobytes())
        name = f"magenta-{style_path.stem}"
        info = {
            "kind": "magenta",
            "name": name,
            "predictor": predictor.name,
            "transfer": transfer.name,
            "style_image": style_path.name,
        }
        fn, features = _magenta_teacher(predictor, transfer, style_rgb)
        return Teacher(name, key, fn, {**info, "key": key}, style_features=features)
    if path.is_dir():
        key = _hash_bytes(b"saved_model", _hash_path(path), range_bytes)
        info = {"kind": "saved_model", "name": path.name, "range": list(value_range), "key": key}
        return Teacher(path.name, key, _saved_model_teacher(path, value_range), info)
    if path.suffix == ".tflite":
        key = _hash_bytes(b"tflite", _hash_path(path), range_bytes)
        info = {"kind": "tflite", "name": path.stem, "range": list(value_range), "key": key}
        return Teacher(path.stem, key, _tflite_teacher(path, value_range), info)
    raise EdgestyleError(
        f"unknown teacher file {str(path)!r}: expected a .tflite model, a SavedModel directory or a Magenta directory"
    )


# -- on-disk cache -------------------------------------------------------------------------------


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
