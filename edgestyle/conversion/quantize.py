"""Run the TFLite converter on an exported step: fp32, fp16 weights, or full-integer int8.

int8 is converted with float I/O and ``TFLITE_BUILTINS_INT8`` only (so an op without an int8
kernel fails here, not on the board); :mod:`edgestyle.conversion.io_types` then gives each
boundary tensor its own integer type.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from edgestyle.conversion.io_types import float_ops, layer_name
from edgestyle.errors import EdgestyleError


def convert_saved_model(
    saved_model: Path,
    precision: str,
    samples: list[dict[str, Any]] | None = None,
) -> bytes:
    """.tflite bytes of ``saved_model`` at ``precision`` (``int8`` needs calibration ``samples``;
    its activation ranges are those of least error, :mod:`edgestyle.conversion.ranges`)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model))
    if precision == "fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif precision == "int8":
        if not samples:
            raise EdgestyleError("int8 conversion needs calibration frames")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: iter(samples)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    elif precision != "fp32":
        raise EdgestyleError(f"unknown precision {precision!r}")
    try:
        with quiet_native_logs():
            if precision == "int8":
                model = _quantize_with_tight_ranges(converter, samples)
            else:
                model = bytes(converter.convert())
    except Exception as exc:  # ConverterError and friends: MLIR diagnostics in the message
        raise EdgestyleError(describe_converter_error(str(exc), precision)) from None
    if precision == "int8":
        left = float_ops(model)
        if left:
            op, layer = left[0]
            more = f" (and {len(left) - 1} more)" if len(left) > 1 else ""
            raise EdgestyleError(
                f"the model cannot be fully int8-quantized: op {op} in layer {layer!r} has no int8 kernel{more}"
            )
    return model


def _quantize_with_tight_ranges(converter: Any, samples: list[dict[str, Any]]) -> bytes:
    """The converter's own calibration, ranges tightened, then its own quantizer (float I/O)."""
    import tensorflow as tf
    from tensorflow.lite.python.convert import mlir_quantize

    from edgestyle.conversion.ranges import tighten

    converter._experimental_calibrate_only = True  # the documented hook of tf.lite's quantization debugger
    calibrated = bytes(converter.convert())
    return bytes(
        mlir_quantize(tighten(calibrated, samples), input_data_type=tf.float32, output_data_type=tf.float32)
    )


_OP = re.compile(r"'(tfl?\.[A-Za-z0-9_]+)' op")
_QUOTED = re.compile(r'"([^"]+/[^"]+)"')


def describe_converter_error(message: str, precision: str) -> str:
    """One line from the converter's multi-line MLIR error: which op failed, in which layer."""
    lines = [line.strip() for line in message.splitlines() if "error:" in line] or [message.strip()]
    first = lines[0]
    op = _OP.search(first)
    layer = _QUOTED.search(first)
    reason = first.split("error:", 1)[-1].strip()
    where = ""
    if op:
        where += f" op {op.group(1)}"
    if layer:
        where += f" in layer {layer_name(layer.group(1))}"
    what = "cannot be fully int8-quantized" if precision == "int8" else f"cannot be converted to {precision}"
    return f"the model {what}:{where or ''} ({reason})"


@contextlib.contextmanager
def quiet_native_logs() -> Iterator[None]:
    """Silence the converter's C++ chatter on stderr (fd 2) and its Python deprecation warnings.

    Failures still surface: they arrive as exceptions whose message holds the diagnostics.
    ``--verbose`` (:func:`edgestyle.console.verbose`) lets everything through.
    """
    from edgestyle.console import verbose

    if verbose():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
