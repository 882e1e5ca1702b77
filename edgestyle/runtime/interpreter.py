"""Load a .tflite with the best interpreter this machine has, and address tensors by signature key.

Order: ai-edge-litert (current LiteRT), tflite-runtime (older Pythons such as JetPack 5), then
tf.lite (a host with TensorFlow). Tensors are found through the ``serving_default`` signature,
because exported tensor names are generic and positions are not stable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgestyle.console import native_logs_filtered
from edgestyle.errors import EdgestyleError
from edgestyle.runtime.probes import library_loadable, module_available

DELEGATE_LIBRARIES = {
    "edgetpu": ("libedgetpu.so.1", "install the Coral runtime: sudo apt install libedgetpu1-std"),
    "gpu": (
        "libtensorflowlite_gpu_delegate.so",
        "build or install the TFLite GPU delegate library and pass --delegate PATH",
    ),
}


# The order interpreters are tried in: (label, top-level module). doctor reports the same order.
INTERPRETERS = (
    ("ai-edge-litert", "ai_edge_litert"),
    ("tflite-runtime", "tflite_runtime"),
    ("tf.lite", "tensorflow"),
)
NO_INTERPRETER = (
    "no TFLite interpreter found: pip install ai-edge-litert (or tflite-runtime on older Pythons)"
)


def available_interpreter() -> str | None:
    """The label of the interpreter :func:`interpreter_backend` would load, found without importing it."""
    return next((label for label, module in INTERPRETERS if module_available(module)), None)


def _import_backend(label: str) -> tuple[Any, Any]:
    if label == "ai-edge-litert":
        from ai_edge_litert.interpreter import Interpreter, load_delegate

        return Interpreter, load_delegate
    if label == "tflite-runtime":
        from tflite_runtime.interpreter import Interpreter, load_delegate  # type: ignore[import-not-found]

        return Interpreter, load_delegate
    import tensorflow as tf  # type: ignore[import-not-found]

    return tf.lite.Interpreter, tf.lite.experimental.load_delegate


def interpreter_backend() -> tuple[str, Any, Any]:
    """(backend name, Interpreter class, load_delegate function) of the first importable backend."""
    for label, _module in INTERPRETERS:
        try:
            return (label, *_import_backend(label))
        except ImportError:
            continue
    raise EdgestyleError(NO_INTERPRETER)


def _load_delegate(delegate: str, load_delegate: Any) -> Any:
    library, hint = DELEGATE_LIBRARIES.get(delegate, (delegate, "check the path passed to --delegate"))
    # dlopen first: LiteRT's Delegate object prints a traceback from __del__ when its own load fails
    error = f"cannot load the {delegate!r} delegate ({library}): {hint}"
    if not library_loadable(library):
        raise EdgestyleError(error)
    try:
        return load_delegate(library)
    except (ValueError, OSError, RuntimeError) as exc:
        raise EdgestyleError(error) from exc


@dataclass
class TensorInfo:
    """A signature tensor: key, interpreter index, shape, dtype and affine quantization."""

    key: str
    index: int
    shape: tuple[int, ...]
    dtype: np.dtype
    scale: float
    zero_point: int

    @property
    def quantized(self) -> bool:
        return self.dtype.kind in "iu" and self.scale > 0


class TFLiteModel:
    """One interpreter with inputs and outputs addressed by signature key.

    ``delegate`` is ``xnnpack`` (the CPU default), ``cpu`` (plain kernels), ``edgetpu``, ``gpu``
    or a path to a delegate library.
    """

    def __init__(self, path: str | os.PathLike, delegate: str = "xnnpack", threads: int | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            raise EdgestyleError(f"model file not found: {self.path}")
        self.backend, interpreter_cls, load_delegate = interpreter_backend()
        kwargs: dict[str, Any] = {"model_path": str(self.path), "num_threads": threads or os.cpu_count() or 1}
        if delegate not in ("xnnpack", "cpu"):
            kwargs["experimental_delegates"] = [_load_delegate(delegate, load_delegate)]
        if delegate == "cpu" and self.backend == "ai-edge-litert":
            from ai_edge_litert.interpreter import OpResolverType

            kwargs["experimental_op_resolver_type"] = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        try:
            with native_logs_filtered():  # LiteRT announces its XNNPACK delegate on stderr
                self.interpreter = interpreter_cls(**kwargs)
                self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise EdgestyleError(f"cannot load model {self.path}: {str(exc).splitlines()[0]}") from None
        self.delegate = delegate
        self.inputs, self.outputs = self._signature_tensors()

    def _signature_tensors(self) -> tuple[dict[str, TensorInfo], dict[str, TensorInfo]]:
        signatures = (
            self.interpreter.get_signature_list() if hasattr(self.interpreter, "get_signature_list") else {}
        )
        details_by_index = {d["index"]: d for d in self.interpreter.get_input_details()}
        details_by_index.update({d["index"]: d for d in self.interpreter.get_output_details()})
        if signatures:
            runner = self.interpreter.get_signature_runner(next(iter(signatures)))
            ins = {k: details_by_index[d["index"]] for k, d in runner.get_input_details().items()}
            outs = {k: details_by_index[d["index"]] for k, d in runner.get_output_details().items()}
        else:  # very old converters wrote no signature: fall back to tensor names
            ins = {d["name"]: d for d in self.interpreter.get_input_details()}
            outs = {d["name"]: d for d in self.interpreter.get_output_details()}

        def info(key: str, d: dict[str, Any]) -> TensorInfo:
            scale, zero = d.get("quantization", (0.0, 0))
            return TensorInfo(
                key,
                d["index"],
                tuple(int(v) for v in d["shape"]),
                np.dtype(d["dtype"]),
                float(scale),
                int(zero),
            )

        return {k: info(k, d) for k, d in ins.items()}, {k: info(k, d) for k, d in outs.items()}

    def details(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Inputs and outputs as LiteRT-style detail dicts keyed by signature name (for infer_contract)."""

        def as_dict(t: TensorInfo) -> dict[str, Any]:
            return {
                "name": t.key,
                "shape": list(t.shape),
                "dtype": t.dtype.type,
                "quantization": (t.scale, t.zero_point),
            }

        return [as_dict(t) for t in self.inputs.values()], [as_dict(t) for t in self.outputs.values()]

    def set(self, key: str, value: np.ndarray) -> None:
        self.interpreter.set_tensor(self.inputs[key].index, value)

    def get(self, key: str) -> np.ndarray:
        return self.interpreter.get_tensor(self.outputs[key].index)

    def invoke(self) -> None:
        self.interpreter.invoke()


def to_tensor(
    values: np.ndarray, info: TensorInfo, value_range: tuple[float, float] = (0.0, 1.0)
) -> np.ndarray:
    """Float values in the network's meaning -> the tensor's dtype (quantizing when needed)."""
    if info.quantized:
        bounds = np.iinfo(info.dtype)
        q = np.round(values / info.scale + info.zero_point)
        return np.clip(q, bounds.min, bounds.max).astype(info.dtype)
    return values.astype(info.dtype)


def from_tensor(values: np.ndarray, info: TensorInfo) -> np.ndarray:
    """Tensor values -> float values in the network's meaning (dequantizing when needed)."""
    if info.quantized:
        return (values.astype(np.float32) - info.zero_point) * info.scale
    return values.astype(np.float32)


def frame_to_tensor(
    frame_uint8: np.ndarray, info: TensorInfo, value_range: tuple[float, float] = (0.0, 1.0)
) -> np.ndarray:
    """uint8 pixels -> the frame input tensor; camera bytes pass straight through when the scale is 1/255."""
    lo, hi = value_range
    if (
        info.dtype == np.uint8
        and info.zero_point == round(-lo / ((hi - lo) / 255))
        and abs(info.scale * 255 - (hi - lo)) < 1e-6
    ):
        return frame_uint8
    return to_tensor(lo + frame_uint8.astype(np.float32) * ((hi - lo) / 255.0), info)


def tensor_to_frame(
    values: np.ndarray, info: TensorInfo, value_range: tuple[float, float] = (0.0, 1.0)
) -> np.ndarray:
    """Frame output tensor -> uint8 pixels."""
    lo, hi = value_range
    if info.dtype == np.uint8 and info.zero_point == 0 and lo == 0.0 and abs(info.scale * 255 - hi) < 1e-6:
        return values
    floats = (from_tensor(values, info) - lo) * (255.0 / (hi - lo))
    return np.clip(np.round(floats), 0, 255).astype(np.uint8)
