"""Count multiply-accumulates of a built Keras model, layer by layer (the edge budget is in MACs)."""

from __future__ import annotations

import math

import keras


def _spatial(shape) -> int:
    return int(math.prod(int(d) for d in shape[1:-1]))


def layer_macs(layer: keras.layers.Layer) -> int:
    """MACs of one layer for batch 1; convolutions and dense layers only (elementwise ops are noise)."""
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        kh, kw = layer.kernel_size
        out = layer.output.shape
        return _spatial(out) * kh * kw * int(out[-1])
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw = layer.kernel_size
        cin = int(layer.input.shape[-1])
        out = layer.output.shape
        return _spatial(out) * kh * kw * cin * int(out[-1]) // layer.groups
    if isinstance(layer, keras.layers.Dense):
        return int(layer.input.shape[-1]) * int(layer.units)
    return 0


def count_macs(model: keras.Model) -> int:
    """Total MACs per call of a model built with a fixed input size."""
    return sum(layer_macs(layer) for layer in model.layers)


def generator_cost(config, height: int = 384, width: int = 384) -> tuple[int, int]:
    """(MACs per frame, parameter count) of the generator at ``height`` x ``width``."""
    from edgestyle.train.generator import build_generator

    model = build_generator(config, height, width)
    return count_macs(model), int(model.count_params())
