"""Losses: the non-saturating GAN pair, L1 distillation, temporal warping, total variation, Gram.

All take float32 tensors with images in [0, 1] and return scalar means, so weights in the training
config are comparable across crop sizes and batch sizes.
"""

from __future__ import annotations

import tensorflow as tf

from edgestyle.train.flow import warp


def d_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor, weights: tf.Tensor | None = None) -> tf.Tensor:
    """L_dis = -E[log D(real)] - E[log(1 - D(fake))], on logits (softplus form is the stable one)."""
    per_sample = _per_sample(tf.nn.softplus(-real_logits)) + _per_sample(tf.nn.softplus(fake_logits))
    return _weighted_mean(per_sample, weights)


def g_loss(fake_logits: tf.Tensor, weights: tf.Tensor | None = None) -> tf.Tensor:
    """Non-saturating L_gen = -E[log D(G(x))]."""
    return _weighted_mean(_per_sample(tf.nn.softplus(-fake_logits)), weights)


def l1(a: tf.Tensor, b: tf.Tensor, weights: tf.Tensor | None = None) -> tf.Tensor:
    return _weighted_mean(_per_sample(tf.abs(a - b)), weights)


def l2(a: tf.Tensor, b: tf.Tensor, weights: tf.Tensor | None = None) -> tf.Tensor:
    """Squared error: its optimum is the teacher's conditional *mean* (what PSNR rewards), where
    L1's is the median, which picks one of the teacher's texture modes and pays for it in MSE."""
    return _weighted_mean(_per_sample(tf.square(a - b)), weights)


def temporal_loss(
    outputs: tf.Tensor, flows: tf.Tensor, masks: tf.Tensor, weights: tf.Tensor | None = None
) -> tf.Tensor:
    """Mean over t of ``|| O_t - warp(O_{t-1}, f_t) ||_1`` inside the occlusion mask.

    ``outputs`` [B,T,H,W,3], ``flows`` [B,T-1,H,W,2] backward flows, ``masks`` [B,T-1,H,W,1].
    Per pixel and channel, normalised by the number of valid pixels, so it is ~0 for an output
    that moves exactly with the scene and grows with flicker.
    """
    steps = outputs.shape[1]
    total = 0.0
    for t in range(1, steps):
        warped = warp(outputs[:, t - 1], flows[:, t - 1])
        m = masks[:, t - 1]
        err = tf.reduce_sum(tf.abs(outputs[:, t] - warped) * m, axis=[1, 2, 3])
        count = tf.reduce_sum(m, axis=[1, 2, 3]) * 3.0 + 1e-6
        total += _weighted_mean(err / count, weights)
    return total / float(max(1, steps - 1))


def tv_loss(images: tf.Tensor) -> tf.Tensor:
    """Mean absolute difference between neighbouring pixels (discourages speckle)."""
    dy = tf.abs(images[:, 1:] - images[:, :-1])
    dx = tf.abs(images[:, :, 1:] - images[:, :, :-1])
    return tf.reduce_mean(dy) + tf.reduce_mean(dx)


def gram(features: tf.Tensor) -> tf.Tensor:
    """Channel covariance [B,C,C] normalised by the number of positions."""
    shape = tf.shape(features)
    flat = tf.reshape(features, [shape[0], -1, shape[3]])
    return tf.matmul(flat, flat, transpose_a=True) / tf.cast(shape[1] * shape[2], tf.float32)


def _per_sample(x: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


def _weighted_mean(per_sample: tf.Tensor, weights: tf.Tensor | None) -> tf.Tensor:
    """Mean over the samples whose weight is non-zero (0 when none are)."""
    if weights is None:
        return tf.reduce_mean(per_sample)
    weights = tf.cast(weights, per_sample.dtype)
    return tf.math.divide_no_nan(tf.reduce_sum(per_sample * weights), tf.reduce_sum(weights))
