"""The recurrent clip every target is validated on, and the measurements runnable targets share."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CLIP_FRAMES = 30


@dataclass
class ValidationClip:
    """uint8 RGB frames, the style to run them with, a label for the report, and fp32's outputs."""

    frames: list[np.ndarray]
    style: Any
    label: str
    reference: list[np.ndarray]


def validation_clip(job: Any, calibration_dir: Path | None) -> ValidationClip:
    """The calibration footage when there is enough, else a generated clip; run through fp32 once."""
    from edgestyle.conversion import report as rep
    from edgestyle.conversion.calibration import generated_frames

    width, height = job.size
    if calibration_dir is not None and len(job.calibration_frames) >= CLIP_FRAMES:
        clip, label = job.calibration_frames[:CLIP_FRAMES], f"{CLIP_FRAMES} calibration frames"
    else:
        clip, label = generated_frames(width, height, CLIP_FRAMES, seed=1), f"{CLIP_FRAMES} generated frames"
    frames = [np.clip(np.round(f * 255.0), 0, 255).astype(np.uint8) for f in clip]
    style = None
    if job.style_vector is None and job.source.style:
        default = job.source.style.get("default") or job.source.style["names"][0]
        style = np.asarray(job.source.style_vector(default), np.float32)
        label += f", style {default!r}"
    return ValidationClip(frames, style, label, rep.run_clip(job.paths["fp32"], frames, style))


def new_report(preset: Any, path: Path) -> tuple[Any, bytes]:
    """An empty report row for ``preset``'s file, and the file's bytes (for op counts)."""
    from edgestyle.conversion.report import TargetReport

    data = path.read_bytes()
    return TargetReport(preset.name, preset.precision, str(path), len(data)), data


def measure_runnable(t: Any, path: Path, delegate: str, clip: ValidationClip, latency_runs: int) -> None:
    """Fidelity against fp32 over the recurrent clip, and median latency, into the target's report."""
    from edgestyle.conversion import report as rep

    outputs = rep.run_clip(path, clip.frames, clip.style, delegate)
    t.frames = len(outputs)
    t.psnr_db, t.worst_frame_psnr_db, t.ssim = rep.fidelity(clip.reference, outputs)
    t.latency_ms = rep.cpu_latency_ms(path, delegate, runs=latency_runs)
    t.latency_note = f"median of {latency_runs} invokes, {delegate}, {os.cpu_count()} threads"
