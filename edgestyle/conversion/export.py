"""From a model directory to a fixed-size, batch-1 SavedModel that the TFLite converter takes.

Each target has one fixed shape. The size-agnostic generator is exported as it is
(``model.export(..., format="tf_saved_model")``; ``from_concrete_functions`` would leave
READ_VARIABLE ops behind on Keras 3) and its ``serving_default`` is then re-traced with batch-1,
fixed-size input specs, optionally with one style vector folded in as a constant. Re-tracing lets
TensorFlow fold every shape computation to a constant: no SHAPE / STRIDED_SLICE / PACK ops left
for the EdgeTPU to reject, and the same weights and numbers as the Keras model. A directory that
only has ``saved_model/`` goes through the same re-tracing.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgestyle.errors import EdgestyleError


@dataclass
class Source:
    """A loaded model directory: the Keras generator (or only its SavedModel), config and metadata."""

    path: Path
    model: Any  # None when the directory has only saved_model/
    config: Any
    meta: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.path.name)

    @property
    def stride(self) -> int:
        return int(self.meta.get("stride", self.config.stride))

    @property
    def style(self) -> dict[str, Any] | None:
        return self.meta.get("style")

    def state_pairs(self) -> list[tuple[str, str]]:
        return [(s["input"], s["output"]) for s in self.meta.get("states", [])]

    def style_vector(self, name: str) -> list[float]:
        return style_vector_of(self.meta, name)


def style_vector_of(meta: dict[str, Any], name: str) -> list[float]:
    """The named style's vector from a model directory's metadata, or a one-line error."""
    table = meta.get("style")
    if not table:
        raise EdgestyleError(f"--style {name}: model {meta.get('name')} has no style input to bake")
    if name not in table["names"]:
        raise EdgestyleError(f"unknown style {name!r}; this model has: {', '.join(table['names'])}")
    return table["vectors"][table["names"].index(name)]


def read_source_meta(model_dir: str | Path) -> dict[str, Any]:
    """``edgestyle.json`` of ``model_dir`` without TensorFlow: the checks that need no model."""
    from edgestyle.train.model_dir import read_metadata

    path = Path(model_dir)
    if path.exists() and not path.is_dir():
        raise EdgestyleError(
            f"not a directory: {path} (pass the model directory written by 'edgestyle train')"
        )
    return read_metadata(path)


def load_source(model_dir: str | Path) -> Source:
    """Load ``model_dir`` (written by ``edgestyle train``) with one-line errors for the usual mistakes.

    ``generator.keras`` is preferred; a directory with only ``saved_model/`` and our
    ``edgestyle.json`` converts too (the SavedModel's signature is re-traced at the fixed size).
    """
    from edgestyle.train.model_dir import KERAS_FILE, SAVED_MODEL_DIR, load_generator_config, load_model_dir

    path = Path(model_dir)
    meta = read_source_meta(path)
    if not (path / KERAS_FILE).is_file() and (path / SAVED_MODEL_DIR / "saved_model.pb").is_file():
        model = None
    else:
        model, meta = load_model_dir(path)
    try:
        config = load_generator_config(meta)
    except (KeyError, TypeError, ValueError) as exc:
        raise EdgestyleError(f"{path}: invalid generator config in edgestyle.json ({exc})") from None
    return Source(path, model, config, meta)


def export_step(source: Source, width: int, height: int, style: list[float] | None, out: Path) -> Path:
    """A fixed-size, batch-1 SavedModel of the step in ``out`` (a new folder); ``style`` is folded in."""
    from edgestyle.train.model_dir import SAVED_MODEL_DIR

    check_size(source.stride, width, height)
    if source.model is None:
        return _retrace(source, source.path / SAVED_MODEL_DIR, width, height, style, out)
    from edgestyle.train.generator import deployment_generator

    deployed = deployment_generator(source.model, source.config)
    dynamic = export_saved_model(deployed, out.with_name(out.name + "_dynamic"))
    return _retrace(source, dynamic, width, height, style, out)


def _retrace(
    source: Source, saved_model: Path, width: int, height: int, style: list[float] | None, out: Path
) -> Path:
    import numpy as np
    import tensorflow as tf

    from edgestyle.train.model_dir import state_shapes

    loaded = tf.saved_model.load(str(saved_model))
    if "serving_default" not in loaded.signatures:
        raise EdgestyleError(f"{saved_model} has no serving_default signature")
    wanted = loaded.signatures["serving_default"].structured_input_signature[1]
    shapes = {"frame": [1, height, width, 3], **state_shapes(source.meta, height, width)}
    if "style" in wanted:
        shapes["style"] = [1, int(wanted["style"].shape[-1])]
    unknown = sorted(set(wanted) - set(shapes))
    if unknown:
        raise EdgestyleError(
            f"{source.path}: SavedModel input(s) {', '.join(unknown)} are not in edgestyle.json"
        )
    baked = None if style is None else tf.constant(np.asarray(style, np.float32)[None])
    specs = {k: tf.TensorSpec(v, tf.float32, name=k) for k, v in shapes.items() if k in wanted}
    if baked is not None:
        specs.pop("style", None)

    class Step(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.loaded = loaded

        @tf.function
        def __call__(self, **inputs: Any) -> Any:
            if baked is not None:
                inputs["style"] = baked
            return self.loaded.signatures["serving_default"](**inputs)

    step = Step()
    with contextlib.redirect_stdout(io.StringIO()):
        tf.saved_model.save(
            step, str(out), signatures={"serving_default": step.__call__.get_concrete_function(**specs)}
        )
    return out


def check_size(stride: int, width: int, height: int) -> None:
    """An input size the architecture can take: positive and a multiple of the stride."""
    if width <= 0 or height <= 0:
        raise EdgestyleError(f"input size {width}x{height} must be positive")
    if width % stride or height % stride:
        raise EdgestyleError(
            f"input size {width}x{height} is not a multiple of the model's stride {stride} "
            f"(try {max(stride, width // stride * stride)}x{max(stride, height // stride * stride)})"
        )


def export_saved_model(model: Any, out: Path) -> Path:
    """``model.export`` quietly into ``out`` (a fresh directory)."""
    with contextlib.redirect_stdout(io.StringIO()):
        model.export(str(out), format="tf_saved_model", verbose=False)
    return out
