"""What every runtime backend offers the stylizer: tensors by key, set / invoke / get.

A backend is one class in its own module under ``edgestyle/runtime/backends/`` that names the
model file ``suffixes`` it runs (``.tflite``, ``.onnx``); one line in the package ``__init__``
registers it. Tensors carry the affine quantization of integer models (scale 0 for float ones),
and the helpers below turn pixels and floats into a tensor's dtype and back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


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


class ModelBackend:
    """Base class: ``inputs`` / ``outputs`` as :class:`TensorInfo` by key, ``set``, ``invoke``, ``get``.

    ``backend`` names what actually runs the model (``ai-edge-litert``, ``onnxruntime
    CPUExecutionProvider``), ``delegate`` what the caller asked for.
    """

    suffixes: tuple[str, ...] = ()
    path: Path
    backend: str = ""
    delegate: str = ""
    inputs: dict[str, TensorInfo]
    outputs: dict[str, TensorInfo]

    def __init__(self, path: str | os.PathLike, delegate: str = "xnnpack", threads: int | None = None):
        raise NotImplementedError

    def set(self, key: str, value: np.ndarray) -> None:
        raise NotImplementedError

    def invoke(self) -> None:
        raise NotImplementedError

    def get(self, key: str) -> np.ndarray:
        raise NotImplementedError

    def embedded_contract(self) -> str | None:
        """Contract JSON stored inside the model file by a means the format has, else None."""
        return None

    @classmethod
    def doctor_checks(cls) -> list[tuple[str, str, str, bool | None]]:
        """(section, name, value, ok) lines for ``edgestyle doctor``."""
        return []

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
