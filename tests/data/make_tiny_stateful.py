"""Regenerate tiny_stateful_int8.tflite (+ .json sidecar): the shared stateful fixture.

A real ``edgestyle convert`` output of a tiny untrained generator (ConvGRU, stride 4, two styles
"a" and "b", 64x48): uint8 frames in and out, one int8 state pair with equal quantization, an
int8 style input and the edgestyle contract embedded. Committed so runtime tests run without
TensorFlow. Run: python tests/data/make_tiny_stateful.py
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SIZE = (64, 48)  # width, height
NAME = "tiny_stateful"


def convert_tiny(targets: str, work: str):
    """The tiny untrained generator (styles "a" and "b") converted to ``targets`` at SIZE in ``work``."""
    from edgestyle.conversion.pipeline import convert_model_dir
    from edgestyle.train.generator import tiny_config
    from edgestyle.train.model_dir import make_untrained_model_dir

    model_dir = make_untrained_model_dir(Path(work) / NAME, tiny_config(base_channels=4), styles=("a", "b"))
    return convert_model_dir(model_dir, targets=targets, input_size=SIZE, report=False)


def main() -> None:
    here = Path(__file__).parent
    with tempfile.TemporaryDirectory() as tmp:
        result = convert_tiny("cpu", tmp)
        int8 = result.paths["cpu-int8"]
        shutil.copyfile(int8, here / f"{NAME}_int8.tflite")
        shutil.copyfile(int8.with_suffix(".json"), here / f"{NAME}_int8.json")


if __name__ == "__main__":
    main()
