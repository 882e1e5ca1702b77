"""The TFLite backend: a .tflite on the best interpreter this machine has, tensors by signature key.

Order: ai-edge-litert (current LiteRT), tflite-runtime (older Pythons such as JetPack 5), then
tf.lite (a host with TensorFlow). Tensors are found through the ``serving_default`` signature,
because exported tensor names are generic and positions are not stable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from edgestyle.console import native_logs_filtered
from edgestyle.errors import EdgestyleError
from edgestyle.runtime.backends.base import ModelBackend, TensorInfo
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


class TFLiteModel(ModelBackend):
    """One interpreter with inputs and outputs addressed by signature key.

    ``delegate`` is ``xnnpack`` (the CPU default), ``cpu`` (plain kernels), ``edgetpu``, ``gpu``
    or a path to a delegate library.
    """

    suffixes = (".tflite",)

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

    def set(self, key: str, value: np.ndarray) -> None:
        self.interpreter.set_tensor(self.inputs[key].index, value)

    def get(self, key: str) -> np.ndarray:
        return self.interpreter.get_tensor(self.outputs[key].index)

    def invoke(self) -> None:
        self.interpreter.invoke()

    @classmethod
    def doctor_checks(cls) -> list[tuple[str, str, str, bool | None]]:
        """The interpreter that would load, and which delegate libraries this board has."""
        backend = available_interpreter()
        checks: list[tuple[str, str, str, bool | None]] = [
            ("runtime", "interpreter", backend or "none: pip install ai-edge-litert", backend is not None),
            ("delegates", "xnnpack", "built into the interpreter", True),
        ]
        for name, (library, hint) in DELEGATE_LIBRARIES.items():
            ok = library_loadable(library)
            checks.append(("delegates", name, library if ok else f"{library} not found: {hint}", ok))
        return checks
