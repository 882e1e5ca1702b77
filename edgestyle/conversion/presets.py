"""Conversion targets as data: ``convert/*.json``, shipped in the package as ``edgestyle.convert``.

Add a preset by adding a file there (or pass another folder to :func:`load_presets`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from edgestyle.errors import EdgestyleError
from edgestyle.package_data import data_dir

PRECISIONS = ("int8", "fp16", "fp32")
PRESETS_DIR = data_dir("convert")


@dataclass(frozen=True)
class Preset:
    """One conversion target: what precision to build, how to name the file, how to time it."""

    name: str
    alias: str
    description: str
    precision: str
    suffix: str
    latency_delegate: str = "xnnpack"
    format: str = "tflite"  # the exporter and validator (edgestyle/conversion/formats/)

    @property
    def edgetpu(self) -> bool:
        return self.format == "edgetpu"


def load_presets(folder: Path | None = None) -> dict[str, Preset]:
    """Presets by name: the shipped ones, overridden and extended by ``folder`` if given."""
    presets = _read_presets(PRESETS_DIR)
    if folder is not None:
        presets.update(_read_presets(Path(folder)))
    return presets


def _read_presets(folder: Path) -> dict[str, Preset]:
    presets: dict[str, Preset] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            preset = Preset(**json.loads(path.read_text()))
        except (json.JSONDecodeError, TypeError) as exc:
            raise EdgestyleError(f"invalid conversion preset {path}: {exc}") from None
        if preset.precision not in PRECISIONS:
            raise EdgestyleError(f"{path}: precision must be one of {', '.join(PRECISIONS)}")
        from edgestyle.conversion.formats import FORMATS

        if preset.format not in FORMATS:
            raise EdgestyleError(f"{path}: format must be one of {', '.join(FORMATS)}")
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
