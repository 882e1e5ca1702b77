"""The ONNX backend: onnxruntime with TensorRT, then CUDA, then CPU execution providers.

What Jetson and desktop NVIDIA GPUs run fast: the TensorRT provider builds an engine for the
model on first load (minutes on a Jetson) and keeps it in a user cache folder, so later starts
take seconds. onnxruntime is optional (``pip install 'edgestyle[onnxruntime]'``, on JetPack the
onnxruntime-gpu wheel, see devices/jetson-orin-nano/README.md); it is imported only when an
``.onnx`` model is opened or ``doctor`` asks which providers exist.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from edgestyle.errors import EdgestyleError
from edgestyle.runtime.backends.base import ModelBackend, TensorInfo
from edgestyle.runtime.probes import package_version

TENSORRT, CUDA, CPU = "TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"
# --delegate -> providers to try, best first; any that this onnxruntime build lacks are skipped
# for "auto" (xnnpack, the CLI default, counts as auto) and are an error when asked for by name.
DELEGATE_PROVIDERS = {
    "auto": (TENSORRT, CUDA, CPU),
    "xnnpack": (TENSORRT, CUDA, CPU),
    "cpu": (CPU,),
    "cuda": (CUDA, CPU),
    "gpu": (CUDA, CPU),
    "tensorrt": (TENSORRT, CUDA, CPU),
}
NO_ONNXRUNTIME = (
    "onnxruntime is not installed: pip install 'edgestyle[onnxruntime]' (on Jetson: the onnxruntime-gpu "
    "wheel for your JetPack, see devices/jetson-orin-nano/README.md)"
)
DTYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(uint8)": np.uint8,
    "tensor(int8)": np.int8,
    "tensor(int32)": np.int32,
    "tensor(int64)": np.int64,
}
CONTRACT_KEY = "edgestyle_contract"  # the metadata_props entry the converter writes


def cache_dir() -> Path:
    """Where TensorRT engines are kept: ``$EDGESTYLE_CACHE``, else ``$XDG_CACHE_HOME/edgestyle``, else ~/.cache."""
    if os.environ.get("EDGESTYLE_CACHE"):
        return Path(os.environ["EDGESTYLE_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "edgestyle"


def choose_providers(
    available: list[str], delegate: str = "auto", engine_cache: Path | None = None
) -> list[str | tuple[str, dict[str, Any]]]:
    """The ``providers`` list for ``InferenceSession``, best first, with TensorRT's engine cache set.

    ``available`` is ``onnxruntime.get_available_providers()``. The CPU provider always comes
    last so an operator the GPU providers reject still runs.
    """
    wanted = DELEGATE_PROVIDERS.get(delegate.lower())
    if wanted is None:
        raise EdgestyleError(
            f"unknown --delegate {delegate!r} for an .onnx model: use auto, cpu, cuda or tensorrt"
        )
    if delegate.lower() in ("cuda", "gpu", "tensorrt") and wanted[0] not in available:
        raise EdgestyleError(
            f"--delegate {delegate}: this onnxruntime has no {wanted[0]} (it has {', '.join(available)}); "
            "install onnxruntime-gpu (JetPack: see devices/jetson-orin-nano/README.md)"
        )
    providers: list[str | tuple[str, dict[str, Any]]] = []
    for name in wanted:
        if name not in available:
            continue
        if name == TENSORRT:
            folder = engine_cache or cache_dir() / "tensorrt"
            options = {
                "trt_engine_cache_enable": True,
                "trt_engine_cache_path": str(folder),
                "trt_fp16_enable": True,
            }
            providers.append((name, options))
        else:
            providers.append(name)
    return providers


def _ort():
    try:
        import onnxruntime
    except ImportError:
        raise EdgestyleError(NO_ONNXRUNTIME) from None
    return onnxruntime


class OnnxModel(ModelBackend):
    """One onnxruntime session with inputs and outputs addressed by graph name.

    ``delegate``: ``auto`` (also the CLI default ``xnnpack``): TensorRT, CUDA, CPU, whichever
    this onnxruntime has; ``cpu``; ``cuda`` / ``gpu``; ``tensorrt``.
    """

    suffixes = (".onnx",)

    def __init__(self, path: str | os.PathLike, delegate: str = "xnnpack", threads: int | None = None):
        ort = _ort()
        self.path = Path(path)
        self.delegate = delegate
        providers = choose_providers(ort.get_available_providers(), delegate)
        for entry in providers:
            if isinstance(entry, tuple):  # TensorRT: the cache folder must exist before the first build
                Path(entry[1]["trt_engine_cache_path"]).mkdir(parents=True, exist_ok=True)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.log_severity_level = 3  # errors only: provider fallbacks are reported by `backend`
        try:
            self.session = ort.InferenceSession(str(self.path), sess_options=options, providers=providers)
        except Exception as exc:  # onnxruntime raises its own exception types (Fail, InvalidGraph, ...)
            raise EdgestyleError(f"cannot load model {self.path}: {str(exc).splitlines()[0]}") from None
        self.providers = self.session.get_providers()
        self.backend = f"onnxruntime {self.providers[0]}"
        self.inputs = {a.name: _info(a) for a in self.session.get_inputs()}
        self.outputs = {a.name: _info(a) for a in self.session.get_outputs()}
        self._feed: dict[str, np.ndarray] = {}
        self._results: dict[str, np.ndarray] = {}
        self._output_names = list(self.outputs)

    def set(self, key: str, value: np.ndarray) -> None:
        self._feed[key] = np.ascontiguousarray(value, dtype=self.inputs[key].dtype)

    def invoke(self) -> None:
        values = self.session.run(self._output_names, self._feed)
        self._results = dict(zip(self._output_names, values, strict=True))

    def get(self, key: str) -> np.ndarray:
        return self._results[key]

    def embedded_contract(self) -> str | None:
        return self.session.get_modelmeta().custom_metadata_map.get(CONTRACT_KEY)

    @classmethod
    def doctor_checks(cls) -> list[tuple[str, str, str, bool | None]]:
        """onnxruntime's version and each execution provider the ONNX backend would try."""
        version = package_version("onnxruntime") or package_version("onnxruntime-gpu")
        if version is None:
            return [
                (
                    "onnx",
                    "onnxruntime",
                    "not installed (optional: pip install 'edgestyle[onnxruntime]')",
                    None,
                )
            ]
        try:
            available = _ort().get_available_providers()
        except Exception as exc:  # a broken GPU build can fail at import; doctor must not
            return [("onnx", "onnxruntime", f"{version}, import failed: {exc}", False)]
        checks: list[tuple[str, str, str, bool | None]] = [("onnx", "onnxruntime", version, True)]
        for name in DELEGATE_PROVIDERS["auto"]:
            found = name in available
            note = "available" if found else "not in this onnxruntime build"
            if found and name == TENSORRT:
                note += f" (engine cache: {cache_dir() / 'tensorrt'})"
            checks.append(("onnx", name, note, found))
        others = [p for p in available if p not in DELEGATE_PROVIDERS["auto"]]
        if others:
            checks.append(("onnx", "other providers", ", ".join(others), None))
        return checks


def _info(arg: Any) -> TensorInfo:
    if arg.type not in DTYPES:
        raise EdgestyleError(f"unsupported ONNX tensor type {arg.type} for {arg.name}")
    shape = tuple(int(d) if isinstance(d, int) else 1 for d in arg.shape)  # symbolic batch -> 1
    return TensorInfo(arg.name, -1, shape, np.dtype(DTYPES[arg.type]), 0.0, 0)
