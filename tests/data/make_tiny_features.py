"""Regenerate tiny_features.tflite: a 64x64 MobileNetV2-like feature model quantized like Magenta's
style predictor (float in/out, int8 activations, int8 per-channel weights, folded biases).

It has a stride-2 ReLU6 layer at each of 1/2, 1/4, 1/8 and 1/16, inverted residual blocks with ADDs
at 1/4 and 1/8, and a MEAN + 1x1 conv head, so the loss-network rebuild is tested on every op the
real predictor uses. Committed (a few KB); run: python tests/data/make_tiny_features.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _block(x, expand: int, out: int, stride: int, name: str):
    from keras import layers

    y = layers.Conv2D(expand, 1, activation="relu6", name=f"{name}_expand")(x)
    y = layers.DepthwiseConv2D(3, strides=stride, padding="same", activation="relu6", name=f"{name}_dw")(y)
    y = layers.Conv2D(out, 1, name=f"{name}_project")(y)
    if stride == 1 and x.shape[-1] == out:
        y = layers.Add(name=f"{name}_add")([x, y])
    return y


def main() -> None:
    import keras
    import numpy as np
    import tensorflow as tf
    from keras import layers

    image = keras.Input((64, 64, 3), batch_size=1, name="style_image")
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu6", name="conv0")(image)  # 1/2
    x = _block(x, 16, 8, 2, "b1")  # 1/4
    x = _block(x, 16, 8, 1, "b2")
    x = _block(x, 24, 12, 2, "b3")  # 1/8
    x = _block(x, 24, 12, 1, "b4")
    x = _block(x, 32, 16, 2, "b5")  # 1/16
    x = layers.Lambda(lambda t: tf.reduce_mean(t, axis=[1, 2], keepdims=True), name="mean")(x)
    out = layers.Conv2D(6, 1, name="bottleneck")(x)
    model = keras.Model(image, out)
    rng = np.random.default_rng(0)
    for layer in model.layers:  # random but non-trivial weights, so the rebuild check means something
        if layer.weights:
            layer.set_weights([rng.normal(0, 0.4, w.shape).astype(np.float32) for w in layer.get_weights()])
    with tempfile.TemporaryDirectory() as tmp:
        model.export(tmp, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        converter.representative_dataset = lambda: (
            [rng.random((1, 64, 64, 3), np.float32)] for _ in range(16)
        )
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        data = converter.convert()
    Path(__file__).with_name("tiny_features.tflite").write_bytes(data)


if __name__ == "__main__":
    main()
