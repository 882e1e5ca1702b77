"""From a model directory to a fixed-size, batch-1 SavedModel that the TFLite converter takes.

Each target has one fixed shape, so the size-agnostic generator is rebuilt at the target size
(same weights), wrapped with batch-1 inputs (static shapes: no SHAPE/PACK ops, and the EdgeTPU
compiler wants them), optionally with one style vector folded in as a constant, and exported with
``model.export(..., format="tf_saved_model")`` (``from_concrete_functions`` would leave
READ_VARIABLE ops behind on Keras 3).
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
    """A loaded model directory: the Keras generator, its config and its metadata."""

    path: Path
    model: Any
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
    """Load ``model_dir`` (written by ``edgestyle train``) with one-line errors for the usual mistakes."""
    from edgestyle.train.model_dir import load_generator_config, load_model_dir

    path = Path(model_dir)
    model, meta = load_model_dir(path)
    try:
        config = load_generator_config(meta)
    except (KeyError, TypeError, ValueError) as exc:
        raise EdgestyleError(f"{path}: invalid generator config in edgestyle.json ({exc})") from None
    return Source(path, model, config, meta)


def check_size(stride: int, width: int, height: int) -> None:
    """An input size the architecture can take: positive and a multiple of the stride."""
    if width <= 0 or height <= 0:
        raise EdgestyleError(f"input size {width}x{height} must be positive")
    if width % stride or height % stride:
        raise EdgestyleError(
            f"input size {width}x{height} is not a multiple of the model's stride {stride} "
            f"(try {max(stride, width // stride * stride)}x{max(stride, height // stride * stride)})"
        )


def step_model(source: Source, width: int, height: int, style: list[float] | None = None) -> Any:
    """The single-frame step at a fixed ``width`` x ``height``, batch 1, style baked in when given."""
    import keras
    import numpy as np

    from edgestyle.train.generator import resized_generator

    check_size(source.stride, width, height)
    fixed = resized_generator(source.model, source.config, height, width)
    inputs = {
        key: keras.Input(tuple(t.shape[1:]), batch_size=1, name=key, dtype="float32")
        for key, t in _input_tensors(fixed).items()
        if not (style is not None and key == "style")
    }
    feed: dict[str, Any] = dict(inputs)
    if style is not None:
        feed["style"] = ConstantLike(np.asarray(style, np.float32), name="baked_style")(inputs["frame"])
    outputs = fixed(feed)
    return keras.Model(
        inputs, {key: _named(value, key) for key, value in outputs.items()}, name="edgestyle_step"
    )


def _input_tensors(model: Any) -> dict[str, Any]:
    inputs = model.input
    if not isinstance(inputs, dict):
        raise EdgestyleError("the generator must take a dict of named inputs (frame, state_in_k, style)")
    return inputs


def _named(tensor: Any, key: str) -> Any:
    import keras

    return keras.layers.Identity(name=key)(tensor)


def _constant_like_layer() -> Any:
    import keras

    class _ConstantLike(keras.layers.Layer):
        """Emit a fixed vector with the batch size of its input: how a style is folded into the graph."""

        def __init__(self, value: Any, **kwargs: Any):
            super().__init__(**kwargs)
            self.value = value

        def call(self, reference: Any) -> Any:
            batch = keras.ops.shape(reference)[0]
            row = keras.ops.convert_to_tensor(self.value[None, :])
            return keras.ops.tile(row, (batch, 1))

        def compute_output_shape(self, input_shape: Any) -> Any:
            return (input_shape[0], int(self.value.shape[0]))

    return _ConstantLike


def ConstantLike(value: Any, name: str) -> Any:  # noqa: N802 (reads like the layer it builds)
    return _constant_like_layer()(value, name=name)


def export_saved_model(model: Any, out: Path) -> Path:
    """``model.export`` quietly into ``out`` (a fresh directory)."""
    with contextlib.redirect_stdout(io.StringIO()):
        model.export(str(out), format="tf_saved_model", verbose=False)
    return out
