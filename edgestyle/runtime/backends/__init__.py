"""Runtime backends keyed by model file type: ``.tflite`` -> LiteRT, ``.onnx`` -> onnxruntime.

=============  =====================================================================================
``.tflite``    LiteRT / tflite-runtime / tf.lite, delegates xnnpack, cpu, edgetpu, gpu (``tflite.py``)
``.onnx``      onnxruntime: TensorRT, then CUDA, then CPU execution providers (``onnx.py``)
=============  =====================================================================================

A new backend is one module with a :class:`ModelBackend` subclass naming its ``suffixes``, plus
one line below (or :func:`register_backend` from your own code). Backend modules import their
library inside the class, so the registry loads on a board that has only one of them.
"""

from __future__ import annotations

import os
from pathlib import Path

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.backends.base import ModelBackend, TensorInfo
from edgestyle.runtime.backends.onnx import OnnxModel
from edgestyle.runtime.backends.tflite import TFLiteModel

BACKENDS: dict[str, type[ModelBackend]] = {}
DEFAULT_SUFFIX = ".tflite"  # a model file named otherwise is handed to the TFLite interpreter, as always


def register_backend(backend: type[ModelBackend]) -> type[ModelBackend]:
    """Run files with ``backend.suffixes`` through ``backend`` (a later registration wins)."""
    BACKENDS.update(dict.fromkeys(backend.suffixes, backend))
    return backend


# The registry: one line per backend.
register_backend(TFLiteModel)
register_backend(OnnxModel)


def backend_for(path: str | os.PathLike) -> type[ModelBackend]:
    """The backend class for a model file, by its suffix; any other suffix is tried as TFLite."""
    return BACKENDS.get(Path(path).suffix.lower(), BACKENDS[DEFAULT_SUFFIX])


def open_model(
    path: str | os.PathLike, delegate: str = "xnnpack", threads: int | None = None
) -> ModelBackend:
    """Load ``path`` on the backend its file type asks for (``delegate`` in that backend's terms)."""
    path = Path(path)
    if not path.is_file():
        raise EdgestyleError(f"model file not found: {path}")
    return backend_for(path)(path, delegate=delegate, threads=threads)


def unique_backends() -> list[type[ModelBackend]]:
    """Each registered backend once, in registration order (for ``doctor``)."""
    return list(dict.fromkeys(BACKENDS.values()))


__all__ = [
    "BACKENDS",
    "ModelBackend",
    "OnnxModel",
    "TFLiteModel",
    "TensorInfo",
    "backend_for",
    "open_model",
    "register_backend",
    "unique_backends",
]
