"""A frozen float feature network rebuilt from a TFLite image model: the perceptual loss network.

ImageNet weights cannot be downloaded everywhere, but a quantized MobileNet ships with Magenta's
arbitrary-stylization example (``style_predict_quantized_256.tflite``: CONV_2D, DEPTHWISE_CONV_2D,
ADD, MEAN, fused ReLU6, batch norm folded, int8 weights with per-channel scales). Dequantizing its
weights and replaying its graph in float TensorFlow gives a differentiable ImageNet-derived feature
extractor that needs no download. Any TFLite file built from the same op set works.

Activations are replayed in float (int8 activation ranges are ignored), so the network is a smooth
function of its input, which the losses need. Ops after the last tap are never built, so a model
whose head uses an op we do not replay still serves as long as its trunk does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgestyle.errors import EdgestyleError

# tflite BuiltinOperator codes (tensorflow/lite/schema/schema.fbs)
ADD, AVERAGE_POOL_2D, CONV_2D, DEPTHWISE_CONV_2D, DEQUANTIZE = 0, 1, 3, 4, 6
MEAN, PAD, QUANTIZE, RELU, RELU6 = 40, 34, 114, 19, 21
OP_NAMES = {
    ADD: "ADD",
    AVERAGE_POOL_2D: "AVERAGE_POOL_2D",
    CONV_2D: "CONV_2D",
    DEPTHWISE_CONV_2D: "DEPTHWISE_CONV_2D",
    DEQUANTIZE: "DEQUANTIZE",
    MEAN: "MEAN",
    PAD: "PAD",
    QUANTIZE: "QUANTIZE",
    RELU: "RELU",
    RELU6: "RELU6",
}
# fused activations (ActivationFunctionType): NONE, RELU, RELU_N1_TO_1, RELU6
_ACTIVATIONS = {0: None, 1: (0.0, None), 2: (-1.0, 1.0), 3: (0.0, 6.0)}
_TENSOR_DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 9: np.int8, 7: np.int16}


@dataclass
class _Op:
    code: int
    inputs: list[int]
    output: int
    options: object | None


@dataclass
class FeatureNetwork:
    """RGB in [0, 1] -> {tap name: feature map}, float, frozen.

    ``style_taps`` are the layers whose statistics describe a style (ReLU outputs at falling
    resolutions); ``content_tap`` is the layer whose values describe content.
    """

    path: str
    style_taps: list[str]
    content_tap: str
    resolutions: dict[str, int] = field(default_factory=dict)  # tap -> downsampling factor
    _ops: list[_Op] = field(default_factory=list, repr=False)
    _constants: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    _names: dict[str, int] = field(default_factory=dict, repr=False)
    _input: int = 0

    @property
    def taps(self) -> list[str]:
        return list(dict.fromkeys([*self.style_taps, self.content_tap]))

    def __call__(self, rgb01, taps: list[str] | None = None) -> dict:
        """Features of ``rgb01`` [B,H,W,3] at ``taps`` (default: style and content taps)."""
        import tensorflow as tf

        wanted = {self._names[t]: t for t in (taps or self.taps)}
        values = {self._input: tf.convert_to_tensor(rgb01, tf.float32)}
        out = {}
        for op in self._ops:
            values[op.output] = _replay(op, values, self._constants)
            if op.output in wanted:
                out[wanted[op.output]] = values[op.output]
                if len(out) == len(wanted):
                    break
        return out


def _dequantized(tensor, data: bytes) -> np.ndarray:
    """A constant tensor as float32 (per-tensor or per-channel affine int8/int32, or float);
    integers without a quantization scale (axes, paddings) stay integers."""
    dtype = _TENSOR_DTYPES.get(tensor.type)
    if dtype is None:
        raise ValueError(f"constant tensor {tensor.name.decode()} has unsupported type {tensor.type}")
    values = np.frombuffer(data, dtype=dtype).reshape(tuple(int(s) for s in tensor.shape))
    if dtype in (np.float32, np.float16):
        return values.astype(np.float32)
    q = tensor.quantization
    if q is None or q.scale is None or len(q.scale) == 0:
        return values.copy()  # plain integers: axes, paddings, shapes
    scale = np.asarray(q.scale, np.float32)
    zero = np.asarray(q.zeroPoint if q.zeroPoint is not None else [0], np.float32)
    if scale.size > 1:  # per-channel along quantizedDimension
        shape = [1] * values.ndim
        shape[q.quantizedDimension] = -1
        scale, zero = scale.reshape(shape), zero.reshape(shape) if zero.size > 1 else zero
    return ((values.astype(np.float32) - zero) * scale).astype(np.float32)


def _activate(x, function: int):
    import tensorflow as tf

    bounds = _ACTIVATIONS.get(function)
    if bounds is None:
        return x
    lo, hi = bounds
    return tf.maximum(x, lo) if hi is None else tf.clip_by_value(x, lo, hi)


def _padding(options) -> str:
    return "SAME" if options.padding == 0 else "VALID"


def _replay(op: _Op, values: dict, constants: dict[int, np.ndarray]):
    """One TFLite op in float TensorFlow."""
    import tensorflow as tf

    def arg(index):
        return values[index] if index in values else tf.constant(constants[index])

    o = op.options
    if op.code in (QUANTIZE, DEQUANTIZE):
        return values[op.inputs[0]]
    if op.code == CONV_2D:
        kernel = np.transpose(constants[op.inputs[1]], (1, 2, 3, 0))  # OHWI -> HWIO
        y = tf.nn.conv2d(
            values[op.inputs[0]],
            kernel,
            strides=[1, o.strideH, o.strideW, 1],
            padding=_padding(o),
            dilations=[1, o.dilationHFactor, o.dilationWFactor, 1],
        )
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            y = y + constants[op.inputs[2]]
        return _activate(y, o.fusedActivationFunction)
    if op.code == DEPTHWISE_CONV_2D:
        x = values[op.inputs[0]]
        w = constants[op.inputs[1]]  # [1, H, W, C*M]
        channels = x.shape[-1]
        kernel = w.reshape(w.shape[1], w.shape[2], channels, w.shape[3] // channels)
        y = tf.nn.depthwise_conv2d(
            x,
            kernel,
            strides=[1, o.strideH, o.strideW, 1],
            padding=_padding(o),
            dilations=[o.dilationHFactor, o.dilationWFactor],
        )
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            y = y + constants[op.inputs[2]]
        return _activate(y, o.fusedActivationFunction)
    if op.code == ADD:
        return _activate(arg(op.inputs[0]) + arg(op.inputs[1]), o.fusedActivationFunction if o else 0)
    if op.code == MEAN:
        axes = [int(a) for a in np.asarray(constants[op.inputs[1]]).ravel()]
        return tf.reduce_mean(values[op.inputs[0]], axis=axes, keepdims=bool(o and o.keepDims))
    if op.code == AVERAGE_POOL_2D:
        y = tf.nn.avg_pool2d(
            values[op.inputs[0]],
            [o.filterHeight, o.filterWidth],
            [o.strideH, o.strideW],
            _padding(o),
        )
        return _activate(y, o.fusedActivationFunction)
    if op.code == PAD:
        return tf.pad(values[op.inputs[0]], np.asarray(constants[op.inputs[1]], np.int32))
    if op.code == RELU:
        return tf.nn.relu(values[op.inputs[0]])
    if op.code == RELU6:
        return tf.nn.relu6(values[op.inputs[0]])
    raise AssertionError(f"op {op.code} was accepted but has no replay")  # _parse filters ops


def _read_flatbuffer(path: Path):
    from tensorflow.lite.tools import flatbuffer_utils

    if not path.is_file():
        raise EdgestyleError(f"loss network not found: {path}")
    data = path.read_bytes()
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise EdgestyleError(f"loss network {path}: not a TFLite model (no TFL3 identifier)")
    try:
        return flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    except Exception as exc:  # a corrupt flatbuffer raises anything from struct.error to IndexError
        raise EdgestyleError(f"loss network {path}: corrupt TFLite file ({type(exc).__name__})") from None


def _parse(path: Path):
    """Ops we can replay (in order, up to the first we cannot), constants, tensor names, input."""
    model = _read_flatbuffer(path)
    if not model.subgraphs:
        raise EdgestyleError(f"loss network {path}: the model has no graph")
    graph = model.subgraphs[0]
    tensors = graph.tensors
    if len(graph.inputs) < 1:
        raise EdgestyleError(f"loss network {path}: the model has no input")
    image = tensors[graph.inputs[0]]
    if len(image.shape) != 4 or int(image.shape[-1]) != 3:
        raise EdgestyleError(
            f"loss network {path}: input {image.name.decode()} is not an RGB image (shape {list(image.shape)})"
        )
    ops, constants, stopped_at = [], {}, None
    for operator in graph.operators:
        op_code = model.operatorCodes[operator.opcodeIndex]
        code = max(op_code.builtinCode, op_code.deprecatedBuiltinCode)
        if code not in OP_NAMES:
            stopped_at = f"op {code}"
            break
        for index in operator.inputs:
            if index < 0 or index in constants:
                continue
            buffer = model.buffers[tensors[index].buffer]
            if buffer.data is not None and len(buffer.data):
                try:
                    constants[index] = _dequantized(tensors[index], bytes(buffer.data))
                except ValueError as exc:
                    raise EdgestyleError(f"loss network {path}: {exc}") from None
        ops.append(_Op(code, list(operator.inputs), int(operator.outputs[0]), operator.builtinOptions))
    names = {tensors[op.output].name.decode(): op.output for op in ops}
    shapes = {op.output: [int(s) for s in tensors[op.output].shape] for op in ops}
    return ops, constants, names, shapes, int(graph.inputs[0]), int(image.shape[1]), stopped_at


def _default_taps(ops: list[_Op], names: dict[str, int], shapes: dict, input_side: int):
    """Style: the first ReLU-activated output at each of 1/2, 1/4, 1/8, 1/16. Content: the last ADD
    (a residual sum, so it mixes many layers) at 1/8, else the deepest style tap."""
    by_index = {v: k for k, v in names.items()}
    style, content, resolution = [], None, {}
    seen = set()
    for op in ops:
        shape = shapes[op.output]
        if len(shape) != 4 or shape[1] <= 1:
            continue
        factor = max(1, round(input_side / shape[1]))
        resolution[by_index[op.output]] = factor
        fused = getattr(op.options, "fusedActivationFunction", 0) in (1, 3)
        if (fused or op.code in (RELU, RELU6)) and factor in (2, 4, 8, 16) and factor not in seen:
            seen.add(factor)
            style.append(by_index[op.output])
        if op.code == ADD and factor == 8:
            content = by_index[op.output]
    if not style:
        return [], None, resolution
    return style, content or style[-1], resolution


def load_feature_network(
    path: str | os.PathLike, style_taps: list[str] | None = None, content_tap: str | None = None
) -> FeatureNetwork:
    """Rebuild a TFLite image model as a frozen float feature network, with one clear error line
    for a missing, corrupt or unusable file."""
    path = Path(path)
    ops, constants, names, shapes, input_index, side, stopped_at = _parse(path)
    default_style, default_content, resolution = _default_taps(ops, names, shapes, side)
    style = list(style_taps) if style_taps else default_style
    content = content_tap or default_content
    missing = [t for t in [*style, *([content] if content else [])] if t not in names]
    if missing:
        where = f" before the unsupported {stopped_at}" if stopped_at else ""
        raise EdgestyleError(
            f"loss network {path}: no layer named {', '.join(missing)}{where} "
            f"(replayable layers: {len(names)}, e.g. {', '.join(list(names)[:3])})"
        )
    if not style or content is None:
        why = (
            f"its first ops are not replayable ({stopped_at})"
            if stopped_at and not ops
            else ("no ReLU/ReLU6 layers at 1/2-1/16 resolution")
        )
        raise EdgestyleError(f"loss network {path}: no usable feature layers ({why})")
    last = max(names[t] for t in [*style, content])
    keep = [op for op in ops[: [op.output for op in ops].index(last) + 1]]
    return FeatureNetwork(
        str(path),
        style,
        content,
        {t: resolution.get(t, 1) for t in [*style, content]},
        keep,
        constants,
        names,
        input_index,
    )


def network_output(path: str | os.PathLike):
    """The whole replayed graph up to its first output (for checking a rebuild against the file)."""
    path = Path(path)
    ops, constants, names, _, input_index, _, stopped_at = _parse(path)
    if stopped_at:
        raise EdgestyleError(f"loss network {path}: cannot replay the whole graph ({stopped_at})")
    last = ops[-1].output
    name = next(k for k, v in names.items() if v == last)
    net = FeatureNetwork(str(path), [name], name, {}, ops, constants, names, input_index)
    return lambda rgb01: net(rgb01, [name])[name]
