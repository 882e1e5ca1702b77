"""Regenerate tiny_stateful_fp32.onnx and tiny_stateful_fp32.tflite (+ .json sidecars).

Real ``edgestyle convert --targets fp32,onnx`` outputs of one tiny untrained generator (ConvGRU,
stride 4, styles "a" and "b", 64x48): the float .tflite and its ONNX conversion with explicit
state I/O and the contract in metadata_props. Committed so the onnxruntime backend is tested
without TensorFlow or tf2onnx. Run: python tests/data/make_tiny_onnx.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from make_tiny_stateful import NAME, convert_tiny  # noqa: E402  (same tiny generator, same size)


def main() -> None:
    from edgestyle.contract import sidecar_path

    here = Path(__file__).parent
    with tempfile.TemporaryDirectory() as tmp:
        result = convert_tiny("fp32,onnx", tmp)
        for target, suffix in (("fp32", ".tflite"), ("onnx", ".onnx")):
            path = result.paths[target]
            shutil.copyfile(path, here / f"{NAME}_fp32{suffix}")
            shutil.copyfile(sidecar_path(path), sidecar_path(here / f"{NAME}_fp32{suffix}"))


if __name__ == "__main__":
    main()
