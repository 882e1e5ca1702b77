"""The model directory: what ``edgestyle train`` writes and ``edgestyle convert`` reads.

Layout (format ``edgestyle.modeldir/1``)::

    model_dir/edgestyle.json      metadata: generator config, stride, styles, states, MACs, training
    model_dir/generator.keras     the Keras 3 generator (size-agnostic single-frame step)
    model_dir/saved_model/        tf_saved_model export of the same step (named dict I/O)
    model_dir/checkpoints/        training checkpoints (kept so a run can be resumed or extended)
    model_dir/logs/               TensorBoard events

Everything but ``checkpoints/`` and ``logs/`` is written into a temporary directory and swapped in at the end,
so a crash never leaves a model directory that looks complete but is not.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from edgestyle.errors import EdgestyleError

FORMAT = "edgestyle.modeldir/1"
META_FILE = "edgestyle.json"
KERAS_FILE = "generator.keras"
SAVED_MODEL_DIR = "saved_model"
CHECKPOINT_DIR = "checkpoints"
LOG_DIR = "logs"  # TensorBoard events
KEPT_DIRS = (CHECKPOINT_DIR, LOG_DIR)  # training state carried over when the directory is rewritten
MACS_SIZE = 384  # MACs are quoted per 384x384 frame, the size of the Magenta peer


def style_table(
    config,
    styles: dict[str, Any] | None,
    default: str | None = None,
    code: dict[str, Any] | None = None,
    colours: dict[str, list[float] | None] | None = None,
) -> dict[str, Any] | None:
    """The ``style`` entry of the metadata: names, vectors (lists of floats), the default name,
    each style's picture's mean colour (None without a picture; the runtime's palette anchor), and
    for a code-conditioned model the predictor its codes come from."""
    if not config.style_dim or not styles:
        return None
    names = list(styles)
    vectors = [[float(v) for v in styles[n]] for n in names]
    for n, v in zip(names, vectors, strict=True):
        if len(v) != config.style_dim:
            raise ValueError(f"style {n!r} has {len(v)} values, the generator takes {config.style_dim}")
    table = {"dim": config.style_dim, "names": names, "vectors": vectors, "default": default or names[0]}
    table["colours"] = [(colours or {}).get(n) for n in names]
    return {**table, "code": code} if code else table


def build_metadata(
    model,
    config,
    styles: dict[str, Any] | None,
    training_info: dict[str, Any] | None = None,
    name: str = "edgestyle",
    default_style: str | None = None,
    teacher: Any = None,
    baked_style: str | None = None,
    style_code: dict[str, Any] | None = None,
    colours: dict[str, list[float] | None] | None = None,
) -> dict[str, Any]:
    from edgestyle import __version__
    from edgestyle.train.macs import generator_cost

    macs, params = generator_cost(config, MACS_SIZE, MACS_SIZE)
    return {
        "format": FORMAT,
        "name": name,
        "edgestyle_version": __version__,
        "generator": config.to_dict(),
        "stride": config.stride,
        "frame": {"input": "frame", "output": "stylized", "channels": "RGB", "value_range": [0.0, 1.0]},
        "style": style_table(config, styles, default_style, style_code, colours),
        "baked_style": baked_style,  # the one style of a model without a style input
        "baked_colour": (colours or {}).get(baked_style) if baked_style else None,
        "states": [
            {
                "input": key_in,
                "output": key_out,
                "channels": config.trunk_channels,
                "shape_rule": "[1, H / stride, W / stride, channels]",
                "value_range": [-1.0, 1.0],
            }
            for key_in, key_out in config.state_names()
        ],
        "macs_per_frame": macs,
        "macs_size": [MACS_SIZE, MACS_SIZE],
        "params": params,
        "training": training_info or {},
        "teacher": teacher,
    }


def state_shapes(meta: dict[str, Any], height: int, width: int) -> dict[str, list[int]]:
    """Shape of each ``state_in_k`` for a frame size, from the metadata's rule."""
    stride = int(meta["stride"])
    if height % stride or width % stride:
        raise EdgestyleError(f"frame size {width}x{height} is not a multiple of the model's stride {stride}")
    return {s["input"]: [1, height // stride, width // stride, int(s["channels"])] for s in meta["states"]}


def save_model_dir(
    path: str | os.PathLike,
    model,
    config,
    styles: dict[str, Any] | None,
    training_info: dict[str, Any] | None = None,
    *,
    name: str | None = None,
    default_style: str | None = None,
    teacher: Any = None,
    baked_style: str | None = None,
    export_saved_model: bool = True,
    style_code: dict[str, Any] | None = None,
    colours: dict[str, list[float] | None] | None = None,
) -> Path:
    """Write a complete model directory atomically; existing ``checkpoints/`` and ``logs/`` are carried over."""
    from edgestyle.atomic import atomic_dir

    target = Path(path)
    meta = build_metadata(
        model,
        config,
        styles,
        training_info,
        name or target.name,
        default_style,
        teacher,
        baked_style,
        style_code,
        colours,
    )
    with atomic_dir(target) as tmp:
        model.save(tmp / KERAS_FILE)
        if export_saved_model:  # what the converter exports: the int8-friendly deployment form
            from edgestyle.train.generator import deployment_generator

            _export_saved_model(deployment_generator(model, config), tmp / SAVED_MODEL_DIR)
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2))
        for kept in KEPT_DIRS:
            if (target / kept).is_dir():
                shutil.move(str(target / kept), str(tmp / kept))
    return target


def _export_saved_model(model, out: Path) -> None:
    """``model.export`` quietly: the converter loads this with ``TFLiteConverter.from_saved_model``."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        model.export(str(out), format="tf_saved_model")


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The parsed ``edgestyle.json`` of a model directory (no TensorFlow needed)."""
    model_dir = Path(path)
    meta_file = model_dir / META_FILE
    if not model_dir.is_dir():
        raise EdgestyleError(f"model directory not found: {model_dir}")
    if not meta_file.is_file():
        raise EdgestyleError(
            f"{model_dir} is not an edgestyle model directory (no {META_FILE}; train one first)"
        )
    try:
        meta = json.loads(meta_file.read_text())
    except json.JSONDecodeError as exc:
        raise EdgestyleError(f"{meta_file}: invalid JSON ({exc})") from None
    if meta.get("format") != FORMAT:
        raise EdgestyleError(f"{meta_file}: unsupported format {meta.get('format')!r} (expected {FORMAT})")
    return meta


def load_model_dir(path: str | os.PathLike):
    """(keras generator, metadata dict) from a model directory written by :func:`save_model_dir`."""
    import keras

    import edgestyle.train.layers  # noqa: F401  (registers the custom layers for deserialisation)

    meta = read_metadata(path)
    keras_file = Path(path) / KERAS_FILE
    if not keras_file.is_file():
        raise EdgestyleError(f"{path}: {KERAS_FILE} is missing")
    if not _complete_zip(keras_file):  # Keras calls a truncated file "File not found"
        raise EdgestyleError(
            f"cannot load {keras_file}: the file is damaged (not a complete .keras zip: truncated by a "
            "full disk or an interrupted copy?); copy it again or retrain"
        )
    try:
        model = keras.saving.load_model(keras_file, compile=False)
    except Exception as exc:  # a damaged zip or a foreign file
        raise EdgestyleError(f"{keras_file}: cannot load ({type(exc).__name__}: {exc})") from None
    return model, meta


def _complete_zip(path: Path) -> bool:
    """True when ``path`` is a zip whose members all read back (a .keras file is one)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def load_generator_config(meta: dict[str, Any]):
    """Model directories written before ``head`` existed used the "concat" head."""
    from edgestyle.train.generator import GeneratorConfig

    return GeneratorConfig.from_dict({"head": "concat", **meta["generator"]})


def make_untrained_model_dir(
    path: str | os.PathLike,
    config=None,
    styles: tuple[str, ...] | list[str] = ("a", "b"),
    seed: int = 0,
    export_saved_model: bool = True,
    style_code: dict[str, Any] | None = None,
    vectors: dict[str, list[float]] | None = None,
) -> Path:
    """A tiny, untrained but complete model directory: a fixture for converter and runtime tests.

    Styles get distinct random vectors (or ``vectors``, e.g. real style codes) and the weights are
    seeded, so outputs differ per style. ``style_code`` makes it a code-conditioned model (see
    :func:`style_table`).
    """
    import keras
    import numpy as np

    from edgestyle.train.generator import build_generator, tiny_config

    config = config or tiny_config()
    keras.utils.set_random_seed(seed)
    model = build_generator(config)
    _randomise_film(model, seed)
    rng = np.random.default_rng(seed)
    if vectors is None and config.style_dim:
        vectors = {name: rng.normal(0.0, 1.0, config.style_dim).tolist() for name in styles}
    info = {"untrained": True, "seed": seed}
    return save_model_dir(
        path, model, config, vectors, info, export_saved_model=export_saved_model, style_code=style_code
    )


def _randomise_film(model, seed: int) -> None:
    """FiLM starts as the identity and the output as a copy of the frame (see generator
    ``IDENTITY_GAIN``); give fixtures a visible style dependence instead."""
    import numpy as np

    from edgestyle.train.generator import RGB_HEAD_LAYERS

    rng = np.random.default_rng(seed + 1)
    for layer in model.layers:
        if layer.name in RGB_HEAD_LAYERS and layer.weights:
            kernel, bias = layer.get_weights()
            layer.set_weights([rng.normal(0.0, 0.3, kernel.shape).astype(np.float32), np.zeros_like(bias)])
    for layer in model.layers:
        if layer.name.endswith(("_scale", "_shift")) and layer.weights:
            kernel, bias = layer.get_weights()
            layer.set_weights([rng.normal(0.0, 1.0, kernel.shape).astype(np.float32), bias])
