"""Regenerate tiny_code_int8.tflite (+ .json sidecar): the code-conditioned fixture.

A real ``edgestyle convert`` output of a tiny untrained generator whose style input is the
100-value code of the shipped style predictor (models/style_predict/), as a model trained with
``--style-image`` codes is: contract ``style.code`` names the predictor, and its two named styles
"warm" and "cold" are the predictor's codes of two generated pictures (so the int8 style input is
calibrated on real codes). 64x48, stride 4, ConvGRU. Committed so runtime tests need no TensorFlow.
Run: python tests/data/make_tiny_code.py
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SIZE = (64, 48)  # width, height
NAME = "tiny_code"


def pictures():
    """Two style pictures with different palettes and strokes (RGB uint8)."""
    import numpy as np

    y, x = np.mgrid[0:96, 0:96].astype(np.float32) / 96
    warm = np.stack([0.9 + 0 * x, 0.5 + 0.4 * np.sin(12 * x), 0.2 * y], -1)
    cold = np.stack([0.1 * x, 0.3 + 0.3 * np.cos(20 * (x + y)), 0.8 + 0 * y], -1)
    return {"warm": (warm * 255).astype(np.uint8), "cold": (np.clip(cold, 0, 1) * 255).astype(np.uint8)}


def main() -> None:
    from edgestyle.conversion.pipeline import convert_model_dir
    from edgestyle.runtime.style_code import StylePredictor, file_sha256
    from edgestyle.train.generator import tiny_config
    from edgestyle.train.model_dir import make_untrained_model_dir

    predictor = StylePredictor()
    code = {
        "predictor": predictor.path.name,
        "sha256": file_sha256(predictor.path),
        "input_size": predictor.size,
        "dim": predictor.dim,
    }
    vectors = {name: predictor.code(rgb).tolist() for name, rgb in pictures().items()}
    config = tiny_config(base_channels=4, style_dim=predictor.dim, style_hidden=8)
    here = Path(__file__).parent
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = make_untrained_model_dir(
            Path(tmp) / NAME, config, styles=tuple(vectors), style_code=code, vectors=vectors
        )
        result = convert_model_dir(model_dir, targets="cpu", input_size=SIZE, report=False)
        int8 = result.paths["cpu-int8"]
        shutil.copyfile(int8, here / f"{NAME}_int8.tflite")
        shutil.copyfile(int8.with_suffix(".json"), here / f"{NAME}_int8.json")


if __name__ == "__main__":
    main()
