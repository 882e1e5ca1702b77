"""int8 activation ranges chosen for the least error, not the widest value seen.

The TFLite calibrator gives every activation tensor the min and max it saw over the calibration
samples. A few outliers then set the step for all values: in the default model the residual trunk
(std ~1) got ranges of 50-77, a step of 0.2-0.3, and on noisy camera frames those rounding errors
change from frame to frame, so the int8 model flickered several times more than its float copy.

Here the float model is run on the calibration samples, and each tensor's range is shrunk to the
one that minimises clipping error plus rounding error (step^2 / 12) over the values it really
holds; the TFLite quantizer then works from those ranges as usual. Graph inputs and outputs keep
theirs: their scales are part of the model's contract.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Shrink factors tried for each tensor's calibrated [min, max]; 1.0 keeps it.
SHRINK = (1.0, 0.85, 0.7, 0.6, 0.5, 0.42, 0.35, 0.3, 0.25, 0.2, 0.16, 0.12, 0.1, 0.08, 0.06)
VALUES_PER_SAMPLE = 4096  # values kept per tensor and sample (a spread subset; the MSE needs few)
LEVELS = 255


def best_range(
    values: np.ndarray, low: float, high: float, then: tuple[np.ndarray, float, float] | None = None
) -> tuple[float, float]:
    """The shrunk [low, high] with the least clipping plus rounding mean squared error.

    ``then`` = (addend, lo, hi): the error is measured after the consumer, ``clip(v + addend, lo,
    hi)`` (an ADD with a fused ReLU6 or ReLU, e.g. FiLM's shift): values it clamps anyway may be
    clipped here, and rounding only counts where the consumer passes it on.
    """
    best, best_error = (low, high), np.inf
    if then is not None:
        addend, out_lo, out_hi = then
        exact = np.clip(values + addend, out_lo, out_hi)
        passed = float(np.mean((values + addend > out_lo) & (values + addend < out_hi)))
    for shrink in SHRINK:
        lo, hi = low * shrink, high * shrink
        step = (hi - lo) / LEVELS
        if step <= 0:
            return low, high
        clipped = np.clip(values, lo, hi)
        if then is None:
            error = float(np.mean((clipped - values) ** 2)) + step * step / 12.0
        else:
            error = float(np.mean((np.clip(clipped + addend, out_lo, out_hi) - exact) ** 2))
            error += passed * step * step / 12.0
        if error < best_error:
            best, best_error = (lo, hi), error
    return best


def tighten(calibrated: bytes, samples: list[dict[str, np.ndarray]], sample_limit: int = 48) -> bytes:
    """``calibrated`` (the converter's float model with min/max statistics) with each inner
    activation range replaced by :func:`best_range` over up to ``sample_limit`` of ``samples``."""
    from edgestyle.conversion.io_types import _Graph

    g = _Graph(calibrated)
    graph = g.sg
    boundary = {int(i) for i in graph.inputs} | {int(i) for i in graph.outputs}
    ranged = [
        index
        for index, tensor in enumerate(graph.tensors)
        if index not in boundary
        and tensor.quantization is not None
        and tensor.quantization.min is not None
        and len(tensor.quantization.min) == 1
    ]
    clamps = _clamping_adds(g, ranged)
    values, addends = _activations(calibrated, samples, ranged, clamps, sample_limit)
    for index in ranged:
        q = graph.tensors[index].quantization
        if index in values:
            then = (addends[index], *clamps[index][1:]) if index in addends else None
            low, high = best_range(values[index], float(q.min[0]), float(q.max[0]), then)
            q.min, q.max = [low], [high]
    return g.to_bytes()


def _clamping_adds(g: Any, tensors: list[int]) -> dict[int, tuple[int, float, float]]:
    """tensor -> (the other input, clamp low, clamp high) where the tensor's only consumer is an
    ADD with a fused ReLU6 / ReLU / ReLU_N1_TO_1 (``g``: an ``io_types._Graph``)."""
    fused = g.schema.ActivationFunctionType
    bounds = {fused.RELU6: (0.0, 6.0), fused.RELU: (0.0, np.inf), fused.RELU_N1_TO_1: (-1.0, 1.0)}
    out = {}
    for index in tensors:
        ops = g.consumers(index)
        if len(ops) != 1 or len(ops[0].inputs) != 2 or g.op_name(ops[0]) != "ADD":
            continue
        op = ops[0]
        activation = getattr(op.builtinOptions, "fusedActivationFunction", None)
        if activation in bounds:
            other = next(int(i) for i in op.inputs if int(i) != index)
            out[index] = (other, *bounds[activation])
    return out


def _activations(
    model: bytes,
    samples: list[dict[str, np.ndarray]],
    indices: list[int],
    clamps: dict[int, tuple[int, float, float]],
    sample_limit: int,
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """A spread subset of each tensor's values over evenly spaced ``samples``, and for the
    tensors in ``clamps`` the consumer's other input at the same elements (broadcast)."""
    from edgestyle.runtime.backends.tflite import interpreter_backend

    _, interpreter_class, _ = interpreter_backend()
    interpreter = interpreter_class(model_content=model, experimental_preserve_all_tensors=True)
    interpreter.allocate_tensors()
    runner = interpreter.get_signature_runner()
    picks = np.linspace(0, len(samples) - 1, min(sample_limit, len(samples))).round().astype(int)
    rng = np.random.default_rng(0)
    collected: dict[int, list[np.ndarray]] = {index: [] for index in indices}
    added: dict[int, list[np.ndarray]] = {index: [] for index in clamps}
    for pick in picks:
        runner(**samples[pick])
        for index in indices:
            try:
                tensor = interpreter.get_tensor(index)
            except ValueError:  # a tensor the runtime does not keep (folded or in-place)
                continue
            if tensor.dtype != np.float32 or tensor.size == 0:
                continue
            flat = tensor.reshape(-1)
            take = rng.choice(flat.size, VALUES_PER_SAMPLE) if flat.size > VALUES_PER_SAMPLE else slice(None)
            if index in clamps:
                try:
                    other = np.broadcast_to(interpreter.get_tensor(clamps[index][0]), tensor.shape)
                except ValueError:
                    continue
                added[index].append(other.reshape(-1)[take].astype(np.float32))
            collected[index].append(flat[take].astype(np.float32))
    values = {index: np.concatenate(parts) for index, parts in collected.items() if parts}
    addends = {index: np.concatenate(parts) for index, parts in added.items() if parts}
    return values, addends
