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
from edgestyle.evaluation.style_distance import gap_closed, style_distance
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
    style_reference: np.ndarray | Sequence[np.ndarray] | None,
) -> dict[str, Any]:
    """One report row. ``references`` maps a name ("teacher", "float") to reference outputs;
    ``style_reference`` is a style image or reference frames (see ``style_distance``)."""
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
    if style_reference is not None:
        score = style_distance(style_frames(outputs), style_reference)
        row["style_distance"] = score.distance
        row["style_distance_levels"] = score.levels
    return row


def style_frames(frames: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The frames style statistics are pooled over: STYLE_FRAMES spread over the clip."""
    return [frames[i] for i in pick_frames(len(frames), STYLE_FRAMES)]


def add_style_gaps(rows: list[dict[str, Any]]) -> None:
    """``style_gap_closed`` on every row: input = 0, the teacher = 1 (when both have a distance)."""
    by_role = {r["role"]: r for r in rows}
    start, goal = by_role.get("input"), by_role.get("teacher")
    if not start or not goal or start.get("style_distance") is None or goal.get("style_distance") is None:
        return
    for row in rows:
        if row.get("style_distance") is not None:
            row["style_gap_closed"] = gap_closed(
                start["style_distance"], row["style_distance"], goal["style_distance"]
            )


def clip_flows(
    clip: Clip, progress: Callable[[Iterable[int], str, int], Iterable[int]] | None = None
) -> list[FlowPair]:
    """The input's flow between each pair of frames, which every run is scored against."""
    steps = range(1, len(clip.frames))
    return flow_pairs(clip.frames, progress(steps, "optical flow", len(steps)) if progress else None)


def score_clip(
    clip: Clip,
    runs: Sequence[ModelRun],
    style_bgr: np.ndarray | None = None,
    progress: Callable[[Iterable[int], str, int], Iterable[int]] | None = None,
    pairs: Sequence[FlowPair] | None = None,
) -> dict[str, Any]:
    """All rows: the input first, then each run; fidelity against the teacher and float runs if present.

    Style is measured against ``style_bgr``, or, without one, against the teacher's own frames (a
    per-frame filter such as the cartoon teacher has no painting to compare with). ``pairs``: the
    clip's flows if already measured (:func:`clip_flows`).
    """
    if pairs is None:
        pairs = clip_flows(clip, progress)
    input_errors = warping_errors(clip.frames, pairs)
    input_error = _finite_mean(input_errors)
    labels = frame_labels(runs)
    references = {run.role: run.outputs for run in runs if run.role in ("teacher", "float")}
    teacher = next((run for run in runs if run.role == "teacher"), None)
    style_reference: Any = style_bgr
    if style_reference is None and teacher is not None:
        style_reference = style_frames(teacher.outputs)
    rows = [score_run("input", "input", clip.frames, pairs, input_error, {}, style_reference)]
    for label, run in zip(labels, runs, strict=True):
        own = {name: ref for name, ref in references.items() if ref is not run.outputs}
        if run.role == "teacher" or not run.ours:
            # int8-vs-float is about our converted models; peers and the teacher are not versions of it.
            own.pop("float", None)
        row = score_run(label, run.role, run.outputs, pairs, input_error, own, style_reference)
        row["style"] = run.style
        row["native_size"] = list(run.native_size) if run.native_size else None
        row["seconds"] = run.seconds
        row["frames_per_second_wall"] = len(run.outputs) / run.seconds if run.seconds > 0 else None
        row["notes"] = run.notes
        rows.append(row)
    add_style_gaps(rows)
    return {
        "style_reference": None
        if style_reference is None
        else ("style image" if style_bgr is not None else "teacher frames"),
        "flow": {
            "method": "OpenCV DIS (medium preset) on the input frames; forward-backward consistency and "
            "motion-boundary occlusion mask; pixels leaving the frame excluded",
            "valid_fraction": float(np.mean([p.valid_fraction for p in pairs])),
        },
        "rows": rows,
    }
