"""``edgestyle eval`` end to end: read the clip, run every model and reference, score, write the report.

The output folder gets report.json, report.md, contact_sheet.png, stability.png and flicker_map.png
(where each run's warping error sits), each written atomically, with report.json last so its
presence means the evaluation finished.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from edgestyle.atomic import staging_dir, write_text_atomic
from edgestyle.errors import EdgestyleError
from edgestyle.evaluation.contact_sheet import (
    contact_sheet,
    flicker_map_sheet,
    pick_frames,
    stability_plot,
    write_png,
)
from edgestyle.evaluation.machine import describe_machine, machine_info
from edgestyle.evaluation.report import EVAL_FORMAT, eval_markdown, write_json
from edgestyle.evaluation.runner import MIN_SIDE, Runner, frame_labels, load_clip, open_spec, run_over_clip
from edgestyle.evaluation.scoring import clip_flows, score_clip
from edgestyle.evaluation.warping import FlowPair, warping_error_map
from edgestyle.limits import check_frame_size
from edgestyle.preflight import check_free_space, check_output_folder
from edgestyle.runtime.video_io import probe_video

Progress = Callable[[Iterable[int], str, int], Iterable[int]]
SHEET_FRAMES = 4
# publish order: report.json last, so its presence means done
REPORT_FILES = ("contact_sheet.png", "stability.png", "flicker_map.png", "report.md", "report.json")


def eval_bytes_per_pixel(frames: int, runs: int) -> int:
    """Memory per pixel of the evaluation size: every frame of the input and of each run is kept
    (3 bytes each), plus float32 scratch per frame (grey frames, flow) and per pair (warps, masks)."""
    return frames * (3 * (runs + 1) + 16) + 64


def rich_progress(steps: Iterable[int], label: str, total: int) -> Iterable[int]:
    """A rich progress bar on stderr (stdout is kept for the table)."""
    from rich.console import Console
    from rich.progress import track

    console = Console(stderr=True)
    if not console.is_terminal:
        return steps
    return track(steps, description=f"{label:<28.28}", total=total, console=console, transient=True)


def read_style_image(path: str | os.PathLike | None):
    """The style picture as BGR, by the same rules as everywhere (missing, unreadable, tiny, huge)."""
    if path is None:
        return None
    import cv2

    from edgestyle.runtime.images import read_style_picture

    return cv2.cvtColor(read_style_picture(path), cv2.COLOR_RGB2BGR)


def recorded_style_image(runners: Sequence[Runner], style: str | None) -> str | None:
    """The style image our first model was trained on, when its contract records one that exists here.

    Training writes ``provenance.training.styles = [{name, teacher, style_image}]``; the style in use
    is ``--style``, else the baked style, else the model's default.
    """
    for runner in runners:
        if runner.stylizer is None or not runner.ours:
            continue
        contract = runner.stylizer.contract
        name = style or contract.baked_style or (contract.style.default if contract.style else None)
        styles = (contract.provenance.get("training") or {}).get("styles") or []
        for entry in styles:
            image = entry.get("style_image") if isinstance(entry, dict) else None
            if image and (name is None or entry.get("name") == name) and Path(image).is_file():
                return str(image)
    return None


def evaluate_video(
    video: str | os.PathLike,
    models: Sequence[str],
    out_dir: str | os.PathLike,
    teacher: str | None = None,
    style_image: str | None = None,
    float_model: str | None = None,
    frames: int | None = 60,
    size: tuple[int, int] | None = None,
    style: str | None = None,
    delegate: str = "xnnpack",
    threads: int | None = None,
    progress: Progress | None = None,
    hold: int | None = None,
    stabilize: float | None = None,
    match_palette: bool = True,
) -> dict[str, Any]:
    """Run and score everything; returns the report dict (also written to ``out_dir``)."""
    if not models:
        raise EdgestyleError("give at least one --model to evaluate")
    out = check_output_folder(out_dir)
    read_style_image(style_image)  # fail fast on a wrong path
    specs = [(m, "model") for m in models] + [(float_model, "float"), (teacher, "teacher")]
    runners, style_image, style_source = _open_runners(
        specs, style, style_image, delegate, threads, hold, stabilize, match_palette
    )
    style_bgr = read_style_image(style_image)
    size = size or runners[0].native_size
    if size is not None:
        held = min(frames or 1 << 30, probe_video(video)[1])
        check_frame_size(size, "--size", eval_bytes_per_pixel(held, len(runners)), min_side=MIN_SIDE)
    clip = load_clip(video, frames, size)
    # The pictures at most raw (a contact sheet of every run) plus the text files: room before running.
    needed = SHEET_FRAMES * (len(runners) + 1) * clip.size[0] * clip.size[1] * 3 + 256 * 1024
    check_free_space(out if out.is_dir() else out.parent, needed, out)
    runs = [run_over_clip(runner, clip, progress) for runner in runners]

    pairs = clip_flows(clip, progress)
    scores = score_clip(clip, runs, style_bgr, progress, pairs)
    machine = machine_info()
    report = {
        "format": EVAL_FORMAT,
        "clip": {
            "source": clip.source,
            "frames": len(clip.frames),
            "size": list(clip.size),
            "source_size": list(clip.source_size),
        },
        "style_image": style_image,
        "style_image_from": style_source,
        "teacher": teacher,
        "float_model": float_model,
        "match_palette": match_palette,  # the style picture's mean colour, given or recorded (docs/runtime.md)
        "machine": machine,
        "machine_line": describe_machine(machine),
        **scores,
    }
    _write_outputs(out, report, clip, runs, pairs)
    return report


def _open_runners(
    specs: list[tuple[str | None, str]],
    style: str | None,
    style_image: str | None,
    delegate: str,
    threads: int | None,
    hold: int | None = None,
    stabilize: float | None = None,
    match_palette: bool = True,
) -> tuple[list[Runner], str | None, str | None]:
    """Open every model, float reference and teacher before the slow part (a typo costs seconds).

    Without ``--style-image`` the style comes from the first model that recorded one in training,
    and is handed to the runners after it (a Magenta peer needs a style image). With it, the
    picture also drives our models conditioned on style codes (unless ``--style`` names a style).
    """
    runners: list[Runner] = []
    style_source = "--style-image" if style_image else None
    picture = style_image  # the user's picture is also the style of models that take pictures
    for spec, role in specs:
        if spec is None:
            continue
        if style_image is None:
            style_image = recorded_style_image(runners, style)
            style_source = "the model's training record" if style_image else None
        runners.append(
            open_spec(
                spec,
                role,
                style,
                style_image,
                delegate,
                threads,
                picture=picture,
                hold=hold,
                stabilize=stabilize,
                match_palette=match_palette,
            )
        )
    if style_image is None:
        style_image = recorded_style_image(runners, style)
        style_source = "the model's training record" if style_image else None
    return runners, style_image, style_source


def _write_outputs(
    out: Path, report: dict[str, Any], clip: Any, runs: list[Any], pairs: Sequence[FlowPair]
) -> None:
    """Contact sheet, stability plot, flicker map, report.md and report.json in ``out``: all or none (a full
    disk leaves no half report, and no empty folder); report.json last means done."""
    with staging_dir(out, "eval") as work:
        _write_report_files(work, report, clip, runs, pairs)
        for name in REPORT_FILES:
            os.replace(work / name, out / name)


def _write_report_files(
    work: Path, report: dict[str, Any], clip: Any, runs: list[Any], pairs: Sequence[FlowPair]
) -> None:
    labels = [
        label if run.role == "model" else f"{label} ({run.role})"
        for label, run in zip(frame_labels(runs), runs, strict=True)
    ]
    columns = {"input": clip.frames, **dict(zip(labels, (r.outputs for r in runs), strict=True))}
    write_png(work / "contact_sheet.png", contact_sheet(columns, pick_frames(len(clip.frames), SHEET_FRAMES)))
    series = {row["label"]: row["warping_error_per_pair"] for row in report["rows"]}
    write_png(
        work / "stability.png",
        stability_plot({k: [v if v is not None else float("nan") for v in s] for k, s in series.items()}),
    )
    write_png(work / "flicker_map.png", _flicker_maps(clip, runs, labels, pairs))
    write_text_atomic(work / "report.md", eval_markdown(report))
    write_json(work / "report.json", report)


def _flicker_maps(clip: Any, runs: list[Any], labels: list[str], pairs: Sequence[FlowPair]) -> Any:
    """The input's and every run's warping-error map on one scale: the brightest of the input and
    our own runs (a per-frame peer or the teacher flickers 30-400x and would leave ours black)."""
    import numpy as np

    maps = {"input": warping_error_map(clip.frames, pairs)}
    own = [maps["input"]]
    for label, run in zip(labels, runs, strict=True):
        maps[label] = warping_error_map(run.outputs, pairs)
        if run.ours:
            own.append(maps[label])
    full_scale = max(float(np.percentile(np.sqrt(m), 99)) * 255.0 for m in own)
    return flicker_map_sheet(maps, full_scale)
