"""Regenerate tiny_plain.tflite: a 32x32 uint8 -> uint8 image-to-image model with no edgestyle metadata.

Committed as a 10 KB fixture so contract and runtime tests need no TensorFlow.
Run: python tests/data/make_tiny_plain.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    import keras
    import numpy as np
    import tensorflow as tf

    frame = keras.Input((32, 32, 3), batch_size=1, name="image")
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(frame)
    out = keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid")(x)
    model = keras.Model(frame, out)
    with tempfile.TemporaryDirectory() as tmp:
        model.export(tmp, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        rng = np.random.default_rng(0)
        converter.representative_dataset = lambda: (
            [rng.random((1, 32, 32, 3), np.float32)] for _ in range(8)
        )
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.uint8
        converter.inference_output_type = tf.uint8
        data = converter.convert()
    Path(__file__).with_name("tiny_plain.tflite").write_bytes(data)


if __name__ == "__main__":
    main()
