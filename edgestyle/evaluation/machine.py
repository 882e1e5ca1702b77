"""Which machine a number came from: published figures are meaningless without it."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """CPU, core count, OS, Python and interpreter/OpenCV versions, for reports and benchmark tables."""
    from edgestyle.runtime.interpreter import interpreter_backend

    try:
        backend = interpreter_backend()[0]
    except Exception:  # no interpreter at all: still describe the machine
        backend = None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "interpreter": backend,
        "ai_edge_litert": _version("ai-edge-litert"),
        "tflite_runtime": _version("tflite-runtime"),
        "opencv": _version("opencv-python-headless") or _version("opencv-python"),
        "edgestyle": _version("edgestyle"),
    }


def describe_machine(info: dict[str, Any]) -> str:
    """One line: ``Intel Xeon ... , 2 cores, Linux 6.1, Python 3.11, ai-edge-litert 2.3.0``."""
    runtime = info.get("interpreter") or "no interpreter"
    version = info.get("ai_edge_litert") if runtime == "ai-edge-litert" else info.get("tflite_runtime")
    return (
        f"{info['cpu']}, {info['cores']} cores, {info['system']}, Python {info['python']}, "
        f"{runtime}{' ' + version if version else ''}"
    )
