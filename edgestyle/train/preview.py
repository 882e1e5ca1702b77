"""Look at a trained model before converting it: a contact sheet and warping errors on a real clip.

Runs the Keras generator frame by frame (state carried) next to each style's teacher, and reports
Lai et al.'s warping error (``edgestyle.evaluation.warping``) for the input, the teacher and the
student, plus the student's L1 distance to the teacher. Used by ``benchmarks/bench_train.py
--preview`` and handy after a run; the board-side numbers come from ``edgestyle eval``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def run_student(
    model, meta: dict[str, Any], frames_rgb: list[np.ndarray], style: str | None
) -> list[np.ndarray]:
    """Stylize RGB uint8 frames (sizes a multiple of the stride) with the recurrent state carried."""
    from edgestyle.train.generator import zero_states
    from edgestyle.train.model_dir import load_generator_config

    config = load_generator_config(meta)
    h, w = frames_rgb[0].shape[:2]
    inputs: dict[str, Any] = zero_states(config, 1, h, w)
    if meta.get("style"):
        names = meta["style"]["names"]
        inputs["style"] = np.array(
            [meta["style"]["vectors"][names.index(style or meta["style"]["default"])]], np.float32
        )
    outs = []
    for frame in frames_rgb:
        result = model({**inputs, "frame": frame[None].astype(np.float32) / 255.0})
        outs.append(np.clip(np.round(np.asarray(result["stylized"])[0] * 255), 0, 255).astype(np.uint8))
        inputs.update({k_in: np.asarray(result[k_out]) for k_in, k_out in config.state_names()})
    return outs


def preview(
    model_dir: str | Path, frames_rgb: list[np.ndarray], sheet: str | Path | None = None, cache_dir=None
) -> list[dict]:
    """Per style: warping errors (input, teacher, student) and student-teacher L1; optional PNG sheet."""
    import cv2

    from edgestyle.evaluation.warping import flow_pairs, warping_error
    from edgestyle.teachers import CachedTeacher, load_teacher
    from edgestyle.train.model_dir import load_model_dir
    from edgestyle.train.run import default_cache_dir

    model, meta = load_model_dir(model_dir)
    pairs = flow_pairs(frames_rgb)
    specs = {s["name"]: s for s in meta["training"].get("styles", [])}
    names = meta["style"]["names"] if meta.get("style") else [meta.get("baked_style")]
    rows, columns = [], [frames_rgb]
    for name in names:
        student = run_student(model, meta, frames_rgb, name)
        spec = specs.get(name, {})
        teacher_out = None
        if spec.get("teacher"):
            teacher = CachedTeacher(
                load_teacher(spec["teacher"], spec.get("style_image")), cache_dir or default_cache_dir()
            )
            teacher_out = [teacher(f) for f in frames_rgb]
            columns.append(teacher_out)
        columns.append(student)
        rows.append(
            {
                "style": name,
                "input_warp_error": warping_error(frames_rgb, pairs),
                "teacher_warp_error": warping_error(teacher_out, pairs) if teacher_out else None,
                "student_warp_error": warping_error(student, pairs),
                "student_teacher_l1": float(
                    np.mean([np.abs(a.astype(float) - b) for a, b in zip(student, teacher_out, strict=True)])
                    / 255
                )
                if teacher_out
                else None,
            }
        )
    if sheet:
        from edgestyle.atomic import atomic_path

        picks = np.linspace(0, len(frames_rgb) - 1, 4).round().astype(int)
        grid = np.concatenate([np.concatenate([col[i] for col in columns], axis=1) for i in picks], axis=0)
        with atomic_path(sheet) as tmp:
            cv2.imwrite(str(tmp), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    return rows
