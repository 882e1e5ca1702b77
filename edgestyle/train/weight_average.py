"""An exponential moving average of the generator's weights, kept beside the trained ones.

A GAN-trained generator's weights wander from step to step; strokes repainted slightly differently
at each checkpoint read as crawl once the frames follow each other. Averaging the weights over the
last few thousand steps (Polyak averaging; the EMA generator of progressive GANs / StyleGAN) keeps
the look the run converged to and removes that step-to-step wobble at no cost on the board. The
average is saved in checkpoints and becomes the model directory's weights; training continues on
the live weights.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import tensorflow as tf


class WeightAverage(tf.Module):
    """Shadow copies of ``variables``, updated as ``shadow = d * shadow + (1 - d) * live``.

    ``d`` is ``min(decay, (1 + step) / (10 + step))``: a fresh run's average follows the quickly
    changing early weights instead of remembering its random start (TensorFlow's
    ``ExponentialMovingAverage`` with ``num_updates``).
    """

    def __init__(self, variables: Sequence[tf.Variable], decay: float):
        super().__init__(name="generator_ema")
        self.decay = float(decay)
        self.live = list(variables)
        self.shadow = [
            tf.Variable(v, trainable=False, name=f"ema_{i}", dtype=v.dtype) for i, v in enumerate(self.live)
        ]

    def update(self, step: tf.Tensor) -> None:
        """One averaging step (in a ``tf.function``, in cross-replica context)."""
        step = tf.cast(step, tf.float32)
        decay = tf.minimum(self.decay, (1.0 + step) / (10.0 + step))
        for shadow, live in zip(self.shadow, self.live, strict=True):
            shadow.assign(decay * shadow + (1.0 - decay) * tf.cast(live, shadow.dtype))

    def reset(self) -> None:
        """Start the average at the live weights (a resumed checkpoint saved without one)."""
        for shadow, live in zip(self.shadow, self.live, strict=True):
            shadow.assign(live)

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """The live variables hold the averaged weights inside the block, their own values after."""
        kept = [v.numpy() for v in self.live]
        for shadow, live in zip(self.shadow, self.live, strict=True):
            live.assign(shadow)
        try:
            yield
        finally:
            for value, live in zip(kept, self.live, strict=True):
                live.assign(value)
