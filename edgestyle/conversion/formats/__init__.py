"""Conversion target formats: one exporter and one validator each, keyed by a preset's ``format``.

==========  ===================================================================================
``tflite``  int8 / fp16 / fp32 flatbuffers with the contract embedded (``tflite.py``)
``edgetpu`` the int8 flatbuffer compiled by edgetpu_compiler (``edgetpu.py``)
``onnx``    the fp32 generator as ONNX, contract in ``metadata_props`` (``onnx.py``)
==========  ===================================================================================

A format is a class with ``name``, ``extension``, optional ``needs`` (presets whose files it
builds on), ``export(job, preset) -> Path | None`` and ``validate(job, preset, path, clip,
latency_runs) -> TargetReport``. Adding one is a new module, one line below and a preset
``convert/<name>.json`` with ``"format": "<name>"`` (docs/conversion.md, "Adding a target").
"""

from __future__ import annotations

from typing import Any

from edgestyle.conversion.formats.edgetpu import EdgeTPUFormat
from edgestyle.conversion.formats.onnx import ONNXFormat
from edgestyle.conversion.formats.tflite import TFLiteFormat

FORMATS: dict[str, Any] = {}


def register_format(fmt: Any) -> Any:
    FORMATS[fmt.name] = fmt
    return fmt


# The table: one line per format.
register_format(TFLiteFormat)
register_format(EdgeTPUFormat)
register_format(ONNXFormat)
