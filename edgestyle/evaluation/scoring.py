"""Turn the runs over one clip into numbers: flicker, fidelity to the references, style distance.

Flow is estimated once on the input frames and shared by every model, and the input's own
warping error is reported first as the floor of the metric.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from edgestyle.evaluation.contact_sheet import pick_frames
from edgestyle.evaluation.metrics import psnr, ssim
from edgestyle.evaluation.runner import Clip, ModelRun, frame_labels
from edgestyle.evaluation.style_distance import style_distance
from edgestyle.evaluation.warping import FlowPair, flow_pairs, warping_errors

STYLE_FRAMES = 8


def fidelity(outputs: Sequence[np.ndarray], reference: Sequence[np.ndarray]) -> dict[str, float]:
    """Clip PSNR (from the mean squared error over all frames) and mean per-frame SSIM against a reference."""
    mse = float(
        np.mean(
            [
                np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
                for a, b in zip(outputs, reference, strict=True)
            ]
        )
    )
    clip_psnr = float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))
    per_frame_psnr = [psnr(a, b) for a, b in zip(outputs, reference, strict=True)]
    return {
        "psnr": clip_psnr,
        "psnr_min": float(np.min(per_frame_psnr)),
        "ssim": float(np.mean([ssim(a, b) for a, b in zip(outputs, reference, strict=True)])),
    }


def _finite_mean(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else None


def score_run(
    label: str,
    role: str,
    outputs: Sequence[np.ndarray],
    pairs: Sequence[FlowPair],
    input_error: float | None,
    references: dict[str, Sequence[np.ndarray]],
    style_bgr: np.ndarray | None,
) -> dict[str, Any]:
    """One report row. ``references`` maps a name ("teacher", "float") to reference outputs."""
    errors = warping_errors(outputs, pairs)
    mean_error = _finite_mean(errors)
    row: dict[str, Any] = {
        "label": label,
        "role": role,
        "warping_error": mean_error,
        "warping_error_vs_input": mean_error / input_error
        if mean_error is not None and input_error
        else None,
        "warping_error_per_pair": [float(e) if np.isfinite(e) else None for e in errors],
    }
    for name, reference in references.items():
        for key, value in fidelity(outputs, reference).items():
            row[f"{key}_vs_{name}"] = value
    if style_bgr is not None:
        chosen = [outputs[i] for i in pick_frames(len(outputs), STYLE_FRAMES)]
        score = style_distance(chosen, style_bgr)
        row["style_distance"] = score.distance
        row["style_distance_levels"] = score.levels
    return row


def score_clip(
    clip: Clip,
    runs: Sequence[ModelRun],
    style_bgr: np.ndarray | None = None,
    progress: Callable[[Iterable[int], str, int], Iterable[int]] | None = None,
) -> dict[str, Any]:
    """All rows: the input first, then each run; fidelity against the teacher and float runs if present."""
    steps = range(1, len(clip.frames))
    pairs = flow_pairs(clip.frames, progress(steps, "optical flow", len(steps)) if progress else None)
    input_errors = warping_errors(clip.frames, pairs)
    input_error = _finite_mean(input_errors)
    labels = frame_labels(runs)
    references = {run.role: run.outputs for run in runs if run.role in ("teacher", "float")}
    rows = [score_run("input", "input", clip.frames, pairs, input_error, {}, style_bgr)]
    for label, run in zip(labels, runs, strict=True):
        own = {name: ref for name, ref in references.items() if ref is not run.outputs}
        if run.role == "teacher" or not run.ours:
            # int8-vs-float is about our converted models; peers and the teacher are not versions of it.
            own.pop("float", None)
        row = score_run(label, run.role, run.outputs, pairs, input_error, own, style_bgr)
        row["style"] = run.style
        row["native_size"] = list(run.native_size) if run.native_size else None
        row["seconds"] = run.seconds
        row["frames_per_second_wall"] = len(run.outputs) / run.seconds if run.seconds > 0 else None
        row["notes"] = run.notes
        rows.append(row)
    return {
        "flow": {
            "method": "OpenCV DIS (medium preset) on the input frames; forward-backward consistency and "
            "motion-boundary occlusion mask; pixels leaving the frame excluded",
            "valid_fraction": float(np.mean([p.valid_fraction for p in pairs])),
        },
        "rows": rows,
    }
