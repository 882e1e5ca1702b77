"""Conversion targets as data: ``convert/*.json`` in a checkout, the same presets built in otherwise.

A checkout's ``convert/`` folder is the editable source of truth (add a preset by adding a file);
an installed package has no ``convert/`` folder, so the four standard presets are also kept here.
``tests/test_convert_presets.py`` keeps the two in step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from edgestyle.errors import EdgestyleError

PRECISIONS = ("int8", "fp16", "fp32")
REPO_PRESETS = Path(__file__).resolve().parents[2] / "convert"


@dataclass(frozen=True)
class Preset:
    """One conversion target: what precision to build, how to name the file, how to time it."""

    name: str
    alias: str
    description: str
    precision: str
    suffix: str
    latency_delegate: str = "xnnpack"

    @property
    def edgetpu(self) -> bool:
        return self.suffix.endswith("_edgetpu")


BUILTIN = {
    p.name: p
    for p in (
        Preset(
            "cpu-int8",
            "cpu",
            "Full-integer int8 for CPUs (XNNPACK on Raspberry Pi / Jetson CPU): uint8 frames, int8 states",
            "int8",
            "_int8",
        ),
        Preset(
            "gpu-fp16",
            "gpu",
            "float16 weights, float32 I/O, for the TFLite GPU delegate (Jetson, Pi 5 OpenCL)",
            "fp16",
            "_fp16",
        ),
        Preset(
            "edgetpu",
            "edgetpu",
            "The int8 model compiled for the Coral EdgeTPU with edgetpu_compiler (when it is installed)",
            "int8",
            "_int8_edgetpu",
        ),
        Preset(
            "fp32", "fp32", "float32 reference: what every other target is measured against", "fp32", "_fp32"
        ),
    )
}


def load_presets(folder: Path | None = None) -> dict[str, Preset]:
    """Presets by name: the built-ins, overridden and extended by ``folder`` (default: repo ``convert/``)."""
    presets = dict(BUILTIN)
    folder = REPO_PRESETS if folder is None else Path(folder)
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            preset = Preset(**json.loads(path.read_text()))
        except (json.JSONDecodeError, TypeError) as exc:
            raise EdgestyleError(f"invalid conversion preset {path}: {exc}") from None
        if preset.precision not in PRECISIONS:
            raise EdgestyleError(f"{path}: precision must be one of {', '.join(PRECISIONS)}")
        presets[preset.name] = preset
    return presets


def resolve_targets(targets: str | list[str] | tuple[str, ...], folder: Path | None = None) -> list[Preset]:
    """``"cpu,gpu"`` or ``["cpu-int8", "edgetpu"]`` -> presets, in the order given, without repeats."""
    presets = load_presets(folder)
    by_key = {**{p.alias: p for p in presets.values()}, **presets}
    names = [t.strip() for t in (targets.split(",") if isinstance(targets, str) else targets) if t.strip()]
    if not names:
        raise EdgestyleError("no conversion target given; choose from: " + ", ".join(sorted(by_key)))
    chosen: list[Preset] = []
    for name in names:
        if name not in by_key:
            raise EdgestyleError(
                f"unknown conversion target {name!r}; choose from: {', '.join(sorted(by_key))}"
            )
        if by_key[name] not in chosen:
            chosen.append(by_key[name])
    return chosen
