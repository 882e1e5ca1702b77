"""One conversion in progress: what every target format's exporter and validator share.

The job holds the loaded source model, the work folder, the file stem, the input size, the
(baked) style and the calibration frames, and builds the intermediate products on demand, once:
the fixed-size SavedModel, the fp32 .tflite (the reference everything is measured against), the
recurrently calibrated int8 and the fp16 flatbuffers. A format asks for what it needs; nothing
is converted twice and nothing a chosen target does not need is converted at all.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class ConversionJob:
    source: Any
    work: Path
    stem: str
    size: tuple[int, int]  # (width, height)
    style: str | None
    style_vector: np.ndarray | None
    calibration_frames: list[np.ndarray]
    calibration_label: str
    say: Callable[[str], None] = field(default=lambda message: None)
    paths: dict[str, Path] = field(default_factory=dict)  # preset name -> finished file in ``work``
    contracts: dict[str, Any] = field(default_factory=dict)
    edgetpu_command: str | None = None
    _saved_model: Path | None = None
    _tflite: dict[str, bytes] = field(default_factory=dict)

    def saved_model(self) -> Path:
        """The generator re-traced at the fixed input size (exported once)."""
        if self._saved_model is None:
            from edgestyle.conversion.export import export_step

            width, height = self.size
            self.say(f"exporting the generator at {width}x{height}")
            self._saved_model = export_step(
                self.source, width, height, self.style_vector, self.work / "saved_model"
            )
        return self._saved_model

    def tflite_bytes(self, precision: str) -> bytes:
        """The converted flatbuffer at ``precision`` (fp32, int8 or fp16), without contract."""
        if precision not in self._tflite:
            from edgestyle.conversion.quantize import convert_saved_model

            if precision == "int8":
                self._tflite["int8"] = self._int8()
            else:
                self.say(f"converting {precision}" + (" (the reference)" if precision == "fp32" else ""))
                self._tflite[precision] = convert_saved_model(self.saved_model(), precision)
        return self._tflite[precision]

    def fp32_file(self) -> Path:
        """The fp32 flatbuffer as a file (calibration runs it; the ONNX exporter converts it)."""
        path = self.work / "reference_fp32.tflite"
        if not path.is_file():
            path.write_bytes(self.tflite_bytes("fp32"))
        return path

    def _int8(self) -> bytes:
        from edgestyle.conversion import calibration as calib
        from edgestyle.conversion.io_types import set_integer_io
        from edgestyle.conversion.quantize import convert_saved_model

        step = FloatStep(self.fp32_file())
        pairs = self.source.state_pairs()
        shapes = {key_in: tuple(step.model.inputs[key_in].shape) for key_in, _ in pairs}
        settings = calib.style_settings(self.source.style, baked=self.style is not None)
        self.say(
            f"calibrating on {self.calibration_label}, run recurrently ({len(settings)} style setting(s))"
        )
        samples = calib.recurrent_samples(step, self.calibration_frames, pairs, shapes, settings)
        self.say("converting int8 (uint8 frames, int8 states)")
        extras = ["style"] if "style" in step.model.inputs else []
        quantized = convert_saved_model(self.saved_model(), "int8", samples)
        return set_integer_io(quantized, "frame", "stylized", pairs, extras)

    def output_path(self, preset: Any, extension: str) -> Path:
        return self.work / f"{self.stem}{preset.suffix}{extension}"

    def finish(self, preset: Any, path: Path, contract: Any) -> Path:
        """Record a finished target and write its contract sidecar beside it."""
        from edgestyle.contract import sidecar_path

        sidecar_path(path).write_text(contract.to_json())
        self.paths[preset.name] = path
        self.contracts[preset.name] = contract
        return path

    def cleanup(self) -> None:
        """Drop the intermediates so only finished targets remain in the work folder."""
        if self._saved_model is not None:
            shutil.rmtree(self._saved_model, ignore_errors=True)
        (self.work / "reference_fp32.tflite").unlink(missing_ok=True)


class FloatStep:
    """One call of a float model with dict I/O: the calibration's float model."""

    def __init__(self, path: Path):
        from edgestyle.runtime.backends import open_model

        self.model = open_model(path, delegate="xnnpack")

    def __call__(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        for key, value in inputs.items():
            self.model.set(key, value.astype(np.float32))
        self.model.invoke()
        return {key: self.model.get(key).copy() for key in self.model.outputs}
