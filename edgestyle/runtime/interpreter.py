"""The TFLite backend and the tensor helpers under their first import path.

They live in :mod:`edgestyle.runtime.backends` now (one module per model file type); code and
scripts that import them from here keep working.
"""

from edgestyle.runtime.backends.base import (
    TensorInfo,
    frame_to_tensor,
    from_tensor,
    tensor_to_frame,
    to_tensor,
)
from edgestyle.runtime.backends.tflite import (
    DELEGATE_LIBRARIES,
    INTERPRETERS,
    TFLiteModel,
    available_interpreter,
    interpreter_backend,
)

__all__ = [
    "DELEGATE_LIBRARIES",
    "INTERPRETERS",
    "TFLiteModel",
    "TensorInfo",
    "available_interpreter",
    "frame_to_tensor",
    "from_tensor",
    "interpreter_backend",
    "tensor_to_frame",
    "to_tensor",
]
