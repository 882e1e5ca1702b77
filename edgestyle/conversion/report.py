"""The validation report: what each target costs in fidelity, size and speed, and where it can run.

Fidelity is measured the way the model is used: a clip run *recurrently* (state fed back frame
after frame) through the float32 reference and through each target, compared frame by frame in
uint8 (PSNR over the whole clip and its worst frame, mean SSIM). Ops are read from the
flatbuffer, GPU-delegate compatibility comes from TensorFlow's model analyzer, EdgeTPU coverage
from the Coral op table, and CPU latency from :class:`edgestyle.runtime.interpreter.TFLiteModel`
(the runtime a board uses).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgestyle.errors import EdgestyleError

MIN_INT8_PSNR_DB = 35.0


@dataclass
class TargetReport:
    """Everything measured about one converted file."""

    target: str
    precision: str
    path: str
    size_bytes: int
    psnr_db: float | None = None
    worst_frame_psnr_db: float | None = None
    ssim: float | None = None
    frames: int = 0
    latency_ms: float | None = None
    latency_note: str = ""
    ops: dict[str, int] = field(default_factory=dict)
    gpu_compatible: bool | None = None
    gpu_notes: list[str] = field(default_factory=list)
    edgetpu_unsupported: list[str] = field(default_factory=list)
    state_quantization_equal: bool | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class ConversionReport:
    """The report for one ``edgestyle convert`` run, saved as JSON and Markdown beside the models."""

    model: str
    input_size: list[int]
    style: str | None
    calibration: str
    clip: str
    min_int8_psnr_db: float = MIN_INT8_PSNR_DB
    targets: list[TargetReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> list[str]:
        return [f"{t.target}: {flag}" for t in self.targets for flag in t.flags]

    def to_json(self) -> str:
        """Strict JSON: the fp32 reference's infinite PSNR is written as null."""
        from edgestyle.evaluation.report import json_safe

        return json.dumps(json_safe(asdict(self)), indent=2)

    def rows(self) -> list[list[str]]:
        """Table rows: target, size, PSNR (worst frame), SSIM, latency, GPU, EdgeTPU, flags."""
        rows = []
        for t in self.targets:
            reference = t.target == "fp32" and t.psnr_db == float("inf")
            fidelity = "reference" if reference else _db(t.psnr_db)
            if t.worst_frame_psnr_db is not None and fidelity != "reference":
                fidelity += f" ({_db(t.worst_frame_psnr_db)})"
            rows.append(
                [
                    t.target,
                    Path(t.path).name,
                    f"{t.size_bytes / 1024:.1f} KiB",
                    fidelity,
                    "-" if t.ssim is None else f"{t.ssim:.4f}",
                    "-" if t.latency_ms is None else f"{t.latency_ms:.2f} ms",
                    {True: "yes", False: "no", None: "-"}[t.gpu_compatible],
                    _edgetpu_cell(t),
                    "; ".join(t.flags) or "ok",
                ]
            )
        return rows

    HEADERS = [
        "target",
        "file",
        "size",
        "PSNR vs fp32 (worst frame)",
        "SSIM",
        "CPU latency",
        "GPU delegate",
        "not on EdgeTPU",
        "flags",
    ]

    def to_markdown(self) -> str:
        w, h = self.input_size
        lines = [
            f"# Conversion report: {self.model}",
            "",
            f"- input size: {w}x{h}; style: {self.style or 'style input kept (live switching)'}",
            f"- calibration: {self.calibration}",
            f"- fidelity clip: {self.clip} (run recurrently through every target and the fp32 reference)",
            f"- int8 targets must reach {self.min_int8_psnr_db:.0f} dB PSNR against fp32",
            "",
            "| " + " | ".join(self.HEADERS) + " |",
            "| " + " | ".join("---" for _ in self.HEADERS) + " |",
        ]
        lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in self.rows()]
        lines += ["", "## Ops", ""]
        for t in self.targets:
            ops = ", ".join(f"{name} x{count}" for name, count in sorted(t.ops.items()))
            lines.append(f"- **{t.target}**: {ops or '-'}")
            lines += [f"  - GPU: {note}" for note in t.gpu_notes]
            if t.latency_note:
                lines.append(f"  - latency: {t.latency_note}")
        if self.notes:
            lines += ["", "## Notes", ""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def print_table(self) -> None:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"edgestyle convert: {self.model} at {self.input_size[0]}x{self.input_size[1]}")
        for header in self.HEADERS:
            table.add_column(header)
        for row, target in zip(self.rows(), self.targets, strict=True):
            table.add_row(*row, style="red" if target.flags else None)
        console = Console()
        if not console.is_terminal:  # logs and pipes: do not squeeze the table into 80 columns
            console = Console(width=160)
        console.print(table)
        for note in self.notes:
            console.print(f"note: {note}")


def _edgetpu_cell(t: TargetReport) -> str:
    if t.precision != "int8":
        return "-"
    return ", ".join(t.edgetpu_unsupported) or "all mapped"


def _db(value: float | None) -> str:
    if value is None:
        return "-"
    return "inf" if value == float("inf") else f"{value:.2f} dB"


# -- measurements ------------------------------------------------------------------------------


def run_clip(
    path: Path, frames_rgb: list[np.ndarray], style: Any = None, delegate: str = "xnnpack"
) -> list[np.ndarray]:
    """uint8 RGB outputs of the model at ``path`` run recurrently over uint8 RGB ``frames_rgb``.

    Runs through the board's own :class:`~edgestyle.runtime.stylizer.Stylizer` (zero state at
    the start, state fed back, requantized only if a pair's quantization differs), with scene-cut
    resets, the stabilizer, the output hold and the palette anchor off: this measures the
    conversion, not what a screen shows. ``style``: a name, ``{name: weight}``, a vector, or None (default / baked).
    """
    from edgestyle.runtime.stylizer import Stylizer

    stylizer = Stylizer(
        path, delegate, style=style, scene_cut_threshold=None, hold=0, stabilize=0, match_palette=False
    )
    return [stylizer.step(frame) for frame in frames_rgb]


def fidelity(reference: list[np.ndarray], outputs: list[np.ndarray]) -> tuple[float, float, float]:
    """(clip PSNR dB, worst-frame PSNR dB, mean SSIM) of uint8 ``outputs`` against ``reference``."""
    from edgestyle.evaluation.scoring import fidelity as scores

    result = scores(outputs, reference)
    return result["psnr"], result["psnr_min"], result["ssim"]


def cpu_latency_ms(
    path: Path, delegate: str = "xnnpack", threads: int | None = None, runs: int = 10
) -> float:
    """Median milliseconds per invoke, timed by ``edgestyle bench``'s own loop (two warm-up runs)."""
    from edgestyle.evaluation.bench import bench_setting

    threads = threads or os.cpu_count() or 1
    row = bench_setting([Path(path)], [Path(path).name], delegate, threads, runs, warmup=2)[0]
    if row.median_ms is None:
        raise EdgestyleError(f"cannot time {Path(path).name}: {row.error}")
    return row.median_ms


def op_counts(model_bytes: bytes) -> dict[str, int]:
    from edgestyle.conversion.io_types import op_names

    return dict(Counter(op_names(model_bytes)))


def gpu_compatibility(model_bytes: bytes) -> tuple[bool | None, list[str]]:
    """(compatible?, warnings) from ``tf.lite.experimental.Analyzer`` (None when TF is missing)."""
    try:
        import tensorflow as tf
    except ImportError:
        return None, ["TensorFlow not installed: GPU compatibility not checked"]
    from edgestyle.conversion.quantize import quiet_native_logs

    text = io.StringIO()
    with contextlib.redirect_stdout(text), quiet_native_logs():
        tf.lite.experimental.Analyzer.analyze(model_content=model_bytes, gpu_compatibility=True)
    lines = text.getvalue().splitlines()
    warnings = list(dict.fromkeys(line.strip() for line in lines if "GPU COMPATIBILITY WARNING" in line))
    compatible = any("looks compatible with GPU delegate" in line for line in lines) and not warnings
    return compatible, warnings[:5]
