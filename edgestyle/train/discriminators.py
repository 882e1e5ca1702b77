"""Discriminators: a conditional PatchGAN D(y | x) and a temporal D on stacked consecutive frames.

Both are small fully-convolutional nets that output a map of real/fake logits (one per ~30 px
patch), so they judge texture locally and work at any crop size. They exist only at training
time and never reach the board, so they may use LeakyReLU and 4x4 kernels freely.
"""

from __future__ import annotations

import keras
from keras import layers


def _patch_net(inputs, channels: int, depth: int, name: str) -> keras.Model:
    x = inputs
    for i in range(depth):
        x = layers.Conv2D(channels * 2**i, 4, strides=2, padding="same", name=f"{name}_conv{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"{name}_lrelu{i}")(x)
    # float32 logits under a mixed-precision policy too: the losses' softplus wants them
    logits = layers.Conv2D(1, 3, padding="same", name=f"{name}_logits", dtype="float32")(x)
    return keras.Model(inputs, logits, name=name)


def build_patch_discriminator(channels: int = 32, depth: int = 3) -> keras.Model:
    """D(y | x): the input frame ``x`` and a stylized frame ``y`` concatenated on channels (6 in)."""
    return _patch_net(keras.Input((None, None, 6), name="input_and_stylized"), channels, depth, "patch_d")


def build_temporal_discriminator(clip_len: int, channels: int = 32, depth: int = 3) -> keras.Model:
    """D over ``clip_len`` consecutive stylized frames stacked on channels (3 * clip_len in)."""
    return _patch_net(
        keras.Input((None, None, 3 * clip_len), name="stacked_frames"), channels, depth, "temporal_d"
    )


def stack_frames(clip):
    """[B,T,H,W,3] -> [B,H,W,3T]: consecutive frames side by side on channels."""
    import tensorflow as tf

    shape = tf.shape(clip)
    moved = tf.transpose(clip, [0, 2, 3, 1, 4])
    return tf.reshape(moved, [shape[0], shape[2], shape[3], clip.shape[1] * 3])
