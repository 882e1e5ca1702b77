"""The recurrent, style-conditioned generator: one frame per call, state in and state out.

Encoder (strided 3x3 convs, ReLU6) -> ConvGRU or ConvLSTM at 1/stride with *explicit* state
tensors -> residual blocks modulated by the style vector (FiLM: per-channel scale and shift from
Dense layers; no instance norm, which flickers and is slow in int8) -> decoder (resize + conv, no
Conv2DTranspose, which the EdgeTPU rejects) with skips from the encoder -> a "split" RGB head:
features -> RGB logits at half resolution, upsampled and added to a per-channel affine of the
input frame -> sigmoid. (The legacy "concat" head concatenated the upsampled features with the
frame before a full-resolution 3x3 conv, which took ~40% of the int8 frame time on XNNPACK.)
Every op lowers to an int8 TFLite builtin that the EdgeTPU compiler and the GPU delegate accept:
CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, SUB, MUL, LOGISTIC, TANH, RELU6, CONCATENATION,
RESIZE_*, RESHAPE.

States stay in [-1, 1] by construction (GRU: convex mix of the old state and a tanh; LSTM:
coupled input/forget gate so the cell is a convex mix too), so int8 ranges can be fixed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import asdict, dataclass, fields
from typing import Any

import keras
import numpy as np
from keras import layers

from edgestyle.teachers.opencv import TOON_SHARPNESS
from edgestyle.train.layers import NOISY_LAYERS, Deadband, LuminanceBands, Resize

CELLS = ("gru", "lstm")
NO_WEIGHTS = ("activation_noise", "bands", "warp_state")  # GeneratorConfig fields that change no weight
HEADS = ("split", "concat", "paint")


@dataclass
class GeneratorConfig:
    """Architecture of the generator; JSON-serialisable so the model directory can rebuild it."""

    base_channels: int = 16  # channels after the first stride-2 conv; doubled at each further level
    cell: str = "gru"  # "gru" (one state tensor) or "lstm" (two: hidden and cell)
    state_channels: int = 0  # 0 -> same as the encoder output (base_channels * stride / 2)
    style_dim: int = 16  # length of the style vector; 0 -> no style input (single-style model)
    # > 0: the style vector first goes through a shared Dense + ReLU6 of this width, so a style
    # *code* from a CNN (Magenta's 100-d bottleneck) maps nonlinearly to the FiLM parameters
    style_hidden: int = 0
    stride: int = 4  # total downsampling before the recurrent cell (power of two, >= 2)
    res_blocks: int = 4  # FiLM-modulated depthwise-separable residual blocks at 1/stride
    upsample: str = "bilinear"  # "bilinear" or "nearest"
    head: str = "split"  # "split", "paint" (full-resolution stroke path) or the legacy "concat"
    paint_channels: int = 8  # width of the "paint" head's full-resolution layer
    # Training only (no weights; not in the exported model): noise of this many int8 steps on the
    # main activations, so the output learns not to move with int8 rounding (ActivationNoise).
    activation_noise: float = 0.0
    # > 0: a weightless last layer puts the output's luma on the `toon` filter's soft staircase of
    # this many bands (LuminanceBands), for a cartoon specialist; 0: none
    bands: int = 0
    # The recurrent state is carried along the input's motion between frames (training: the clip's
    # flow; runtime: the stabilizer's optical flow), so what the state remembers stays on the
    # content it was painted on. Outside the network: the exported model is the same.
    warp_state: bool = False

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, not {self.cell!r}")
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, not {self.head!r}")
        if self.stride < 2 or self.stride & (self.stride - 1):
            raise ValueError(f"stride must be a power of two >= 2, not {self.stride}")
        if self.bands < 0 or self.bands == 1:
            raise ValueError(f"bands must be 0 (none) or at least 2, not {self.bands}")
        if self.base_channels < 1 or self.res_blocks < 0 or self.style_dim < 0:
            raise ValueError("base_channels must be >= 1; res_blocks and style_dim >= 0")

    @property
    def levels(self) -> int:
        return self.stride.bit_length() - 1

    @property
    def encoder_channels(self) -> list[int]:
        return [self.base_channels * 2**i for i in range(self.levels)]

    @property
    def trunk_channels(self) -> int:
        return self.state_channels or self.encoder_channels[-1]

    @property
    def n_states(self) -> int:
        return 2 if self.cell == "lstm" else 1

    def state_names(self) -> list[tuple[str, str]]:
        """(input key, output key) for each recurrent state pair."""
        return [(f"state_in_{k}", f"state_out_{k}") for k in range(self.n_states)]

    def state_shape(self, height: int, width: int) -> list[int]:
        """NHWC shape (batch 1) of every state tensor for a frame of ``height`` x ``width``."""
        return [1, height // self.stride, width // self.stride, self.trunk_channels]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def architecture(self) -> dict[str, Any]:
        """What the weights depend on: a checkpoint resumes under any other training setting."""
        return {k: v for k, v in asdict(self).items() if k not in NO_WEIGHTS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GeneratorConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


def tiny_config(**overrides: Any) -> GeneratorConfig:
    """A very small generator for tests and fixtures (trains in seconds on a CPU)."""
    return GeneratorConfig(**{"base_channels": 8, "res_blocks": 1, "style_dim": 4, **overrides})


# Training-time int8-like noise (GeneratorConfig.activation_noise) lives inside the layers that make
# the main activations (noisy subclasses with the same weights), not in layers of its own: extra
# layers would reorder the model's variables, and checkpoints are keyed by that order.
_ACTIVATION_NOISE: ContextVar[float] = ContextVar("activation_noise", default=0.0)


def _noisy(layer_class: type) -> Callable[..., Any]:
    """``layer_class``, or while a noisy generator is being built, its noisy twin."""
    scale = _ACTIVATION_NOISE.get()
    if scale <= 0:
        return layer_class
    return lambda *args, **kwargs: NOISY_LAYERS[layer_class](*args, noise=scale, **kwargs)


def _conv(x, channels: int, name: str, kernel: int = 3, strides: int = 1, activation: str | None = None):
    conv = _noisy(layers.Conv2D)
    return conv(channels, kernel, strides=strides, padding="same", activation=activation, name=name)(x)


def _sepconv(x, channels: int, name: str, activation: str | None = None):
    """Depthwise 3x3 + pointwise 1x1: most of the receptive field for a ninth of the MACs."""
    x = layers.DepthwiseConv2D(3, padding="same", name=f"{name}_dw")(x)
    return _noisy(layers.Conv2D)(channels, 1, activation=activation, name=f"{name}_pw")(x)


# An int8 CONCATENATION gives all its inputs one scale, and the converter moves that scale onto
# the producers: in the trained default model the first encoder layer (ReLU6, std 0.3) took the
# scale of the residual trunk it is concatenated with in the decoder (range 51), 18.6 dB SNR
# before anything else ran, and the recurrent state ([-1, 1]) took the encoder's (0..7). So every
# conv over a concatenation is built, for deployment, as a sum of convs over its parts (the same
# function: a conv is linear in its input channels, a depthwise conv is per channel), and each
# part keeps its own int8 scale. Training keeps the concatenation: checkpoints do not change.
PART = "_part"  # deployment layer "<trained layer><PART><k>" holds input part k's slice of it
# State updates smaller than this are dropped in the exported model (about 2.5 int8 steps of a
# [-1, 1] state). Measured on the default model held on one webcam frame: without it the int8 state
# never settles (a quarter of its elements flip one step every frame, and each flip re-rounds much
# of the picture). On the webcam clip it also lowered the float model's flicker, 1.89x -> 1.34x the
# input's, at the same style gap (docs/conversion.md).
STATE_DEADBAND = 0.02


def _joined_sepconv(
    parts: list, dw_name: str, outputs: list[tuple[str, int, str | None]], concat_name: str, deployment: bool
) -> list:
    """Depthwise 3x3 over the concatenation of ``parts``, then one 1x1 conv per ``outputs`` entry
    (name, channels, activation); with ``deployment``, the same as a sum over the parts."""
    if not deployment:
        joined = layers.Concatenate(name=concat_name)(parts)
        dw = layers.DepthwiseConv2D(3, padding="same", name=dw_name)(joined)
        return [_noisy(layers.Conv2D)(ch, 1, activation=act, name=name)(dw) for name, ch, act in outputs]
    dws = [
        layers.DepthwiseConv2D(3, padding="same", name=f"{dw_name}{PART}{k}")(p) for k, p in enumerate(parts)
    ]
    return [_summed(dws, name, ch, act, kernel=1) for name, ch, act in outputs]


def _joined_conv(parts: list, name: str, channels: int, activation: str, concat_name: str, deployment: bool):
    """A 3x3 conv over the concatenation of ``parts`` (see :func:`_joined_sepconv`)."""
    if not deployment:
        return _conv(layers.Concatenate(name=concat_name)(parts), channels, name, activation=activation)
    return _summed(parts, name, channels, activation, kernel=3)


def _summed(parts: list, name: str, channels: int, activation: str | None, kernel: int):
    """activation(sum of convs over ``parts``): the bias lives in part 0's conv."""
    convs = [
        layers.Conv2D(channels, kernel, padding="same", use_bias=k == 0, name=f"{name}{PART}{k}")(part)
        for k, part in enumerate(parts)
    ]
    summed = layers.Add(name=f"{name}_sum")(convs)
    return layers.Activation(activation, name=f"{name}_act")(summed) if activation else summed


def _convex_mix(old, new, gate, name: str, deadband: float = 0.0):
    """old + gate * (new - old): a convex blend, so the result stays within the inputs' range.
    ``deadband`` > 0 drops updates smaller than it (see ``STATE_DEADBAND``)."""
    delta = layers.Subtract(name=f"{name}_delta")([new, old])
    update = layers.Multiply(name=f"{name}_gated")([gate, delta])
    if deadband > 0:
        update = Deadband(deadband, name=f"{name}_deadband")(update)
    return _noisy(layers.Add)(name=f"{name}_mix")([old, update])


def _conv_gru(x, h, channels: int, deployment: bool = False, deadband: float = 0.0):
    gates = [("gru_update", channels, "sigmoid"), ("gru_reset", channels, "sigmoid")]
    z, r = _joined_sepconv([x, h], "gru_gates_dw", gates, "gru_xh", deployment)
    rh = layers.Multiply(name="gru_reset_h")([r, h])
    candidate = [("gru_candidate_pw", channels, "tanh")]
    (n,) = _joined_sepconv([x, rh], "gru_candidate_dw", candidate, "gru_xrh", deployment)
    return [_convex_mix(h, n, z, "gru", deadband)]


def _conv_lstm(x, h, c, channels: int, deployment: bool = False, deadband: float = 0.0):
    """ConvLSTM with a coupled input/forget gate (CIFG): c' = c + f*(g - c) stays in [-1, 1]."""
    gates = [("lstm_write", channels, "sigmoid"), ("lstm_output", channels, "sigmoid")]
    gates.append(("lstm_candidate", channels, "tanh"))
    f, o, g = _joined_sepconv([x, h], "lstm_gates_dw", gates, "lstm_xh", deployment)
    c_new = _convex_mix(c, g, f, "lstm_cell", deadband)
    h_new = layers.Multiply(name="lstm_hidden")([o, layers.Activation("tanh", name="lstm_cell_tanh")(c_new)])
    return [h_new, c_new]


def _film(x, style, channels: int, name: str):
    """x * (1 + gamma(style)) + beta(style); identity at initialisation."""
    gamma = layers.Dense(channels, kernel_initializer="zeros", bias_initializer="ones", name=f"{name}_scale")(
        style
    )
    beta = layers.Dense(channels, kernel_initializer="zeros", name=f"{name}_shift")(style)
    gamma = layers.Reshape((1, 1, channels), name=f"{name}_scale_4d")(gamma)
    beta = layers.Reshape((1, 1, channels), name=f"{name}_shift_4d")(beta)
    return _noisy(layers.Add)(name=f"{name}_shifted")(
        [layers.Multiply(name=f"{name}_scaled")([x, gamma]), beta]
    )


def _res_block(x, style, channels: int, name: str):
    y = _sepconv(x, channels, f"{name}_a")
    if style is not None:
        y = _film(y, style, channels, f"{name}_film")
    y = layers.ReLU(6.0, name=f"{name}_a_relu6")(y)
    y = _sepconv(y, channels, f"{name}_b")
    return _noisy(layers.Add)(name=f"{name}_add")([x, y])


# Both heads start as sigmoid(IDENTITY_GAIN * x + IDENTITY_BIAS) of the frame x, which follows x over
# [0, 1] to within ~0.12, so training starts from a sharp copy of the frame and learns the
# stylization as a change to it: detail and edges come for free instead of being rebuilt from the
# 1/stride features (which trains slowly and blurs). The features' weights start FEATURE_SCALE
# times their Glorot-uniform size, so the copy dominates the first steps.
IDENTITY_GAIN, IDENTITY_BIAS, FEATURE_SCALE = 4.0, -2.0, 0.1
# The layers that make RGB, over both heads (the split head's "to_rgb" is its weightless sigmoid).
RGB_HEAD_LAYERS = ("to_rgb", "to_rgb_features", "to_rgb_frame")


def _start_near_identity(to_rgb) -> None:
    """Concat head: let the input frame (the last 3 channels into ``to_rgb``) pass through."""
    kernel, bias = to_rgb.get_weights()
    kernel *= FEATURE_SCALE
    for c in range(3):
        kernel[1, 1, kernel.shape[2] - 3 + c, c] += IDENTITY_GAIN
    to_rgb.set_weights([kernel, bias + IDENTITY_BIAS])


# The RGB head is the only full-resolution work after the first conv. Measured as int8 at 384x384
# on XNNPACK (1 thread): the legacy "concat" head (3x3 conv over [upsampled 16 features, frame])
# took 7.3 ms of a 19.7 ms frame; "split" takes 2.8 ms (15.4 ms frame). Tried and dropped: a 1x1
# conv over [upsampled 8 features, frame] (15.8 ms frame, but the frame then shares the features'
# int8 scale: int8 vs float fell to 32.9 dB on Sintel).


def _rgb_from(features, frame, mix_colours: bool = False):
    """Sum of a small 3x3 conv of ``features`` to RGB logits and an affine map of the frame
    starting at IDENTITY_GAIN/IDENTITY_BIAS: the output starts as a copy of the frame and training
    learns the stylization as a change to it. The frame's map is per channel (1x1 depthwise), or
    with ``mix_colours`` a full 3x3 colour matrix (1x1 conv), so a palette can move green grass
    to a painting's blues at the full resolution of the frame."""
    from_features = layers.Conv2D(
        3,
        3,
        padding="same",
        kernel_initializer=keras.initializers.VarianceScaling(FEATURE_SCALE**2, "fan_avg", "uniform"),
        name="to_rgb_features",
    )(features)
    if mix_colours:
        from_frame = layers.Conv2D(
            3,
            1,
            kernel_initializer=keras.initializers.Constant(IDENTITY_GAIN * np.eye(3).reshape(1, 1, 3, 3)),
            bias_initializer=keras.initializers.Constant(IDENTITY_BIAS),
            name="to_rgb_frame",
        )(frame)
    else:
        from_frame = layers.DepthwiseConv2D(
            1,
            depthwise_initializer=keras.initializers.Constant(IDENTITY_GAIN),
            bias_initializer=keras.initializers.Constant(IDENTITY_BIAS),
            name="to_rgb_frame",
        )(frame)
    return from_features, from_frame


def _split_head(features, frame, upsample: str):
    """RGB = sigmoid(up(conv3x3(features)) + a * frame + b), per channel a and b.

    The features only say *how* to change the colour, which is smooth, so their conv runs at half
    resolution and only 3 channels get upsampled; the frame's full-resolution edges come through a
    per-channel affine (a 1x1 depthwise conv). Starts as a sharp copy of the frame, like the
    concat head (see IDENTITY_GAIN). Measured as int8 at 384x384 on XNNPACK, this head
    costs ~40% of the concat head's time: full-resolution convs over 3 channels are slow there.
    """
    from_features, from_frame = _rgb_from(features, frame)
    logits = layers.Add(name="to_rgb_logits")(
        [Resize(2, upsample, name="dec0_up")(from_features), from_frame]
    )
    return layers.Activation("sigmoid", name="to_rgb")(logits)


def _paint_head(features, frame, upsample: str, channels: int, deployment: bool = False):
    """RGB = sigmoid(conv3x3(relu6(conv3x3([up(reduce(features)), frame]))) + a * frame + b).

    The split head's logits are bilinear upsamples of half-resolution ones, so they cannot draw
    anything finer than ~2 px; painted strokes need a nonlinearity at full resolution that sees the
    frame's own pixels. The features are first reduced to ``channels`` at half resolution (cheap),
    upsampled, joined with the frame, and two 3x3 convs make the logits; the frame's own path is a
    full colour matrix. Starts as a copy of the frame, like the other heads.
    """
    reduced = _noisy(layers.Conv2D)(channels, 1, activation="relu6", name="paint_reduce")(features)
    upsampled = Resize(2, upsample, name="dec0_up")(reduced)
    strokes = _joined_conv([upsampled, frame], "paint_conv", channels, "relu6", "paint_in", deployment)
    logits = _noisy(layers.Add)(name="to_rgb_logits")(list(_rgb_from(strokes, frame, mix_colours=True)))
    return layers.Activation("sigmoid", name="to_rgb")(logits)


def build_generator(
    config: GeneratorConfig,
    height: int | None = None,
    width: int | None = None,
    deployment: bool = False,
    state_deadband: float = 0.0,
) -> keras.Model:
    """The single-frame step as a functional model with the shared dict I/O.

    Inputs: ``frame`` [B,H,W,3] RGB in [0,1]; ``state_in_k`` [B,H/s,W/s,C] in [-1,1]; ``style``
    [B,S] (only when ``style_dim`` > 0). Outputs: ``stylized`` [B,H,W,3] in [0,1] and
    ``state_out_k``. ``height``/``width`` None gives a size-agnostic model (multiples of stride).
    ``deployment`` builds the int8-friendly form of the same function (see
    :func:`deployment_generator`), without training noise.
    """
    token = _ACTIVATION_NOISE.set(0.0 if deployment else config.activation_noise)
    try:
        return _build(config, height, width, deployment, state_deadband)
    finally:
        _ACTIVATION_NOISE.reset(token)


def _build(
    config: GeneratorConfig, height: int | None, width: int | None, deployment: bool, state_deadband: float
) -> keras.Model:
    for size in (height, width):
        if size is not None and size % config.stride:
            raise ValueError(f"frame size {size} is not a multiple of the stride {config.stride}")
    s_h = None if height is None else height // config.stride
    s_w = None if width is None else width // config.stride
    channels = config.trunk_channels

    frame = keras.Input((height, width, 3), name="frame")
    state_in = [keras.Input((s_h, s_w, channels), name=key) for key, _ in config.state_names()]
    style = keras.Input((config.style_dim,), name="style") if config.style_dim else None
    film_in = style
    if style is not None and config.style_hidden:
        film_in = layers.Dense(config.style_hidden, activation="relu6", name="style_hidden")(style)

    skips = [frame]
    x = frame
    for i, ch in enumerate(config.encoder_channels):
        x = _conv(x, ch, f"enc{i}", strides=2, activation="relu6")
        skips.append(x)
    skips.pop()  # the deepest feature map feeds the cell, not a skip

    if config.cell == "gru":
        state_out = _conv_gru(x, state_in[0], channels, deployment, state_deadband)
    else:
        state_out = _conv_lstm(x, state_in[0], state_in[1], channels, deployment, state_deadband)
    y = state_out[0]
    for b in range(config.res_blocks):
        y = _res_block(y, film_in, channels, f"res{b}")

    for i in reversed(range(config.levels)):
        if i == 0 and config.head == "split":
            y = _split_head(y, frame, config.upsample)
            break
        if i == 0 and config.head == "paint":
            y = _paint_head(y, frame, config.upsample, config.paint_channels, deployment)
            break
        y = Resize(2, config.upsample, name=f"dec{i}_up")(y)
        if i > 0:
            decoded = [(f"dec{i}_pw", config.encoder_channels[i - 1], "relu6")]
            (y,) = _joined_sepconv([y, skips[i]], f"dec{i}_dw", decoded, f"dec{i}_skip", deployment)
        elif deployment:  # the legacy "concat" head
            y = _joined_conv([y, skips[i]], "to_rgb", 3, "sigmoid", f"dec{i}_skip", deployment)
        else:
            y = layers.Concatenate(name=f"dec{i}_skip")([y, skips[i]])
            to_rgb = layers.Conv2D(3, 3, padding="same", activation="sigmoid", name="to_rgb")
            y = to_rgb(y)
            _start_near_identity(to_rgb)

    if config.bands:
        y = LuminanceBands(config.bands, TOON_SHARPNESS, name="bands")(y)
    inputs: dict[str, Any] = {"frame": frame}
    inputs.update({key: t for (key, _), t in zip(config.state_names(), state_in, strict=True)})
    if style is not None:
        inputs["style"] = style
    outputs: dict[str, Any] = {"stylized": layers.Identity(name="stylized")(y)}
    for (_, key), t in zip(config.state_names(), state_out, strict=True):
        outputs[key] = layers.Identity(name=key)(t)
    return keras.Model(inputs, outputs, name="edgestyle_generator")


def deployment_generator(
    model: keras.Model,
    config: GeneratorConfig,
    height: int | None = None,
    width: int | None = None,
    state_deadband: float | None = None,
) -> keras.Model:
    """The trained ``model`` rebuilt in its int8-friendly form (what the converter exports).

    The same function (to float rounding): each conv over a concatenation becomes a sum of convs
    over its parts (see ``PART``), whose weights are the matching input-channel slices.
    """
    deadband = STATE_DEADBAND if state_deadband is None else state_deadband
    deployed = build_generator(config, height, width, deployment=True, state_deadband=deadband)
    trained = {layer.name: layer for layer in model.layers}
    parts: dict[str, list[tuple[int, Any]]] = {}
    for layer in deployed.layers:
        if layer.name in trained:
            layer.set_weights(trained[layer.name].get_weights())
        elif layer.weights:
            base, _, k = layer.name.rpartition(PART)
            parts.setdefault(base, []).append((int(k), layer))
    for base, pieces in parts.items():
        kernel, *bias = trained[base].get_weights()
        start = 0
        for _, layer in sorted(pieces, key=lambda piece: piece[0]):
            stop = start + layer.get_weights()[0].shape[2]
            weights = [kernel[:, :, start:stop]]
            if layer.use_bias:  # a depthwise part keeps its channels' biases, a conv's part 0 all
                weights.append(bias[0][start:stop] if isinstance(layer, layers.DepthwiseConv2D) else bias[0])
            layer.set_weights(weights)
            start = stop
    return deployed


def zero_states(config: GeneratorConfig, batch: int, height: int, width: int) -> dict[str, Any]:
    """Numpy zeros for every ``state_in_k``: the state at the start of a clip or after a reset."""
    import numpy as np

    shape = [batch] + config.state_shape(height, width)[1:]
    return {key: np.zeros(shape, np.float32) for key, _ in config.state_names()}
