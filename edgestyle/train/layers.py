"""The few custom Keras layers the generator needs, registered so ``generator.keras`` reloads.

Everything else in the generator is a stock Keras layer; these exist only because the stock
equivalent lowers to ops the EdgeTPU and the TFLite GPU delegate reject (``UpSampling2D`` with
``nearest`` becomes TILE/GATHER through ``ops.repeat``).
"""

from __future__ import annotations

import keras
import numpy as np


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


def _lstar_to_srgb(lstar: np.ndarray) -> np.ndarray:
    """CIE L* (0..100) of a grey -> its sRGB-encoded value in [0, 1]."""
    lstar = np.asarray(lstar, np.float64)
    linear = np.where(lstar > 8.0, ((lstar + 16.0) / 116.0) ** 3, lstar / 903.3)
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def luminance_staircase(bins: int, sharpness: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The ``toon`` filter's soft staircase on L* (``n + step/2 * tanh(sharpness * (L - n))``, n the
    nearest multiple of step = 100/bins), rewritten on sRGB-encoded luma ``y`` as
    ``const + sum_k amp_k * tanh(slope_k * (y - rise_k))``: one tanh per riser (bins + 1), plateaus
    at the filter's band levels; black and white sit at the middle of the two end risers, as in
    the filter. -> (rise, amp, slope, const)."""
    step = 100.0 / bins
    risers = np.arange(bins + 1) * step
    levels = np.concatenate([[0.0], _lstar_to_srgb((np.arange(bins) + 0.5) * step), [1.0]])
    amp = np.diff(levels) / 2.0
    amp[[0, -1]] *= 2.0  # only the inner half of an end riser lies in [0, 1]
    eps = 1e-3  # dL/dy at each riser, so each tanh is as steep in y as the filter's is in L*
    dl_dy = 2 * eps / (_lstar_to_srgb(risers + eps) - _lstar_to_srgb(np.maximum(risers - eps, 0.0)))
    return _lstar_to_srgb(risers), amp, sharpness * dl_dy, float(amp[1:].sum())


# Rec. 709 luma weights on the encoded values: of the proxies for L* tried, the closest on the
# cartoon gap measure (benchmarks/toon_gap_bound.py).
LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)
TANH_REACH = 3.0  # tanh inputs are clipped to +-3 (tanh(3) = 0.995): fine int8 steps in front of TANH


@keras.saving.register_keras_serializable(package="edgestyle")
class LuminanceBands(keras.layers.Layer):
    """RGB with its luma moved onto the ``toon`` filter's soft staircase of ``bins`` bands.

    Why: a small generator learns smooth maps, and the cartoon gap is mostly the filter's six flat
    luminance bands (benchmarks/toon_gap_bound.py), which it could not draw from its 8-channel
    head. Given as a fixed last layer, the network only has to put each pixel's luma somewhere in
    the right band. Weightless (checkpoints are unchanged) and made of int8 builtins: 1x1 CONV_2D
    with constant kernels, RELU6, ADD/SUB, TANH.

    The change of luma passes gradients straight through (the staircase is flat inside a band, so
    its own gradient would vanish there); the pixel-wise pulls then settle luma at the middle of
    its band, as far from a riser as it can be, which is what keeps the bands still.
    """

    def __init__(self, bins: int = 6, sharpness: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.bins = int(bins)
        self.sharpness = float(sharpness)
        rise, amp, slope, const = luminance_staircase(self.bins, self.sharpness)
        n = len(rise)
        self._luma_kernel = LUMA.reshape(1, 1, 3, 1)
        self._riser_kernel = slope.astype(np.float32).reshape(1, 1, 1, n)
        self._riser_bias = (TANH_REACH - slope * rise).astype(np.float32)
        self._amp_kernel = amp.astype(np.float32).reshape(1, 1, n, 1)
        self._const = np.float32(const)

    def call(self, inputs):
        ops = keras.ops
        luma = ops.conv(inputs, self._luma_kernel)
        shifted = ops.relu6(ops.conv(luma, self._riser_kernel) + self._riser_bias)
        risers = ops.tanh(shifted - TANH_REACH)
        staircase = ops.conv(risers, self._amp_kernel) + self._const
        # the same change of luma for the three channels: a 1x1 conv of ones, not a broadcast ADD
        delta = ops.conv(staircase - luma, np.ones((1, 1, 1, 3), np.float32))
        return inputs + ops.stop_gradient(delta)

    def get_config(self):
        return {**super().get_config(), "bins": self.bins, "sharpness": self.sharpness}
