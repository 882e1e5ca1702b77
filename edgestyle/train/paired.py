"""Sliced distances between each output frame and its own teacher frame (filter teachers).

A filter teacher such as ``toon`` gives a target frame for every input, and the per-pixel pull
towards it teaches the *average* of what the student cannot place exactly: the filter's crisp
bands and ink lines come out soft and its colours washed towards the photo's. Matching the
distribution of the frame's colours and of its mean-removed 5x5 patches (at 1/1, 1/2, 1/4 scale,
the statistics ``edgestyle eval`` scores) asks for the same crispness and palette without asking
that each line sit exactly where the teacher drew it.
"""

from __future__ import annotations

import tensorflow as tf

from edgestyle.train.perceptual import (
    COLOUR_STRIDE,
    PATCH_DIRECTIONS,
    PATCH_LEVELS,
    grid_patch_rows,
    random_directions,
    sparse_grid,
)

COLOUR_DIRECTIONS = 8


def paired_distance(images: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """Per image [N]: sliced W1 between ``images`` and ``targets`` ([N,H,W,3], [0, 1]) over colours
    and over patches at each scale, averaged. Both are sampled on the same random grid."""
    n = tf.shape(images)[0]
    both = tf.concat([images, targets], 0)
    pixels = tf.reshape(sparse_grid(both, COLOUR_STRIDE), [2 * n, -1, 3])
    total = _sliced_l1(pixels, n, COLOUR_DIRECTIONS)
    for _ in range(PATCH_LEVELS):
        total += _sliced_l1(grid_patch_rows(both), n, PATCH_DIRECTIONS)
        both = tf.nn.avg_pool2d(both, 2, 2, "VALID")
    return total / (PATCH_LEVELS + 1)


def _sliced_l1(rows: tf.Tensor, n: tf.Tensor, count: int) -> tf.Tensor:
    """rows [2N,P,D], ours then theirs: mean |sorted projections| difference on fresh directions."""
    ranked = tf.sort(rows @ random_directions(rows.shape[-1], count), axis=1)
    return tf.reduce_mean(tf.abs(ranked[:n] - ranked[n:]), axis=[1, 2])
