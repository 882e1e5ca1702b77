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


@keras.saving.register_keras_serializable(package="edgestyle")
class Deadband(keras.layers.Layer):
    """x shrunk towards zero by ``threshold``: 0 inside [-t, t], x -/+ t outside.

    As relu(x - t) + min(x + t, 0): ADD, RELU and MINIMUM, which every int8 target takes.
    """

    def __init__(self, threshold: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.threshold = float(threshold)

    def call(self, inputs):
        t = self.threshold
        return keras.ops.relu(inputs - t) + keras.ops.minimum(inputs + t, 0.0)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


def int8_like_noise(x, scale: float):
    """x plus uniform noise of ``scale`` int8 steps of x's own range (max - min over the batch).

    The int8 model rounds every activation to 1/255 of its range, and on camera frames those
    roundings change from frame to frame and cascade (a one-step change in 46 state elements
    re-rounded a third of the output pixels of the default model). Trained with this noise in
    every pass, and with the consistency terms asking two passes to agree, the generator learns
    an output that such changes do not move.
    """
    import tensorflow as tf

    span = tf.stop_gradient(tf.reduce_max(x) - tf.reduce_min(x))
    return x + tf.random.uniform(tf.shape(x), -0.5, 0.5, dtype=x.dtype) * (span * (scale / 255.0))


def _noisy_twin(base: type) -> type:
    """``base`` with :func:`int8_like_noise` on its output in training; the same weights, the same
    output at inference (and the stock layer in the exported model)."""

    class Noisy(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args, noise: float = 1.0, **kwargs):
            super().__init__(*args, **kwargs)
            self.noise = float(noise)

        def call(self, inputs, training=None):
            out = super().call(inputs)
            return int8_like_noise(out, self.noise) if training and self.noise > 0 else out

        def get_config(self):
            return {**super().get_config(), "noise": self.noise}

    Noisy.__name__ = Noisy.__qualname__ = f"Noisy{base.__name__}"
    return keras.saving.register_keras_serializable(package="edgestyle")(Noisy)


NOISY_LAYERS = {base: _noisy_twin(base) for base in (keras.layers.Conv2D, keras.layers.Add)}
