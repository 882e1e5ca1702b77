"""The few custom Keras layers the generator needs, registered so ``generator.keras`` reloads.

Everything else in the generator is a stock Keras layer; these exist only because the stock
equivalent lowers to ops the EdgeTPU and the TFLite GPU delegate reject (``UpSampling2D`` with
``nearest`` becomes TILE/GATHER through ``ops.repeat``).
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="edgestyle")
class Resize(keras.layers.Layer):
    """Resize by an integer factor with RESIZE_BILINEAR or RESIZE_NEAREST_NEIGHBOR (edge-safe builtins)."""

    def __init__(self, factor: int = 2, interpolation: str = "bilinear", **kwargs):
        super().__init__(**kwargs)
        if interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"interpolation must be 'bilinear' or 'nearest', not {interpolation!r}")
        self.factor = int(factor)
        self.interpolation = interpolation

    def call(self, inputs):
        import tensorflow as tf  # keras.ops.image.resize rejects symbolic sizes (size-agnostic models)

        shape = tf.shape(inputs)
        size = tf.stack([shape[1] * self.factor, shape[2] * self.factor])
        method = tf.image.ResizeMethod.BILINEAR if self.interpolation == "bilinear" else "nearest"
        return tf.image.resize(inputs, size, method=method)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, None if h is None else h * self.factor, None if w is None else w * self.factor, c)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "interpolation": self.interpolation}
