"""Conversion stage: a trained model directory -> int8 / fp16 / fp32 / EdgeTPU .tflite + validation report.

TensorFlow is imported only inside the functions that need it. See docs/conversion.md.
"""

from edgestyle.conversion.pipeline import ConversionResult, convert_model_dir
from edgestyle.conversion.report import ConversionReport, TargetReport
from edgestyle.sizes import parse_size

__all__ = ["ConversionReport", "ConversionResult", "TargetReport", "convert_model_dir", "parse_size"]
